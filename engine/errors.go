package engine

import (
	"errors"
	"fmt"
)

var (
	// ErrCorrupt marks a layer file that breaks the format: bad magic, missing trailer, an
	// index out of bounds or out of order, a mapping outside the data area, a torn read.
	ErrCorrupt = errors.New("corrupt layer")
	// ErrNotSupported marks a well-formed input that dadi does not handle yet.
	ErrNotSupported = errors.New("not supported")
	// ErrReadOnly is a write to an image without a writable upper layer.
	ErrReadOnly = errors.New("image is read-only")
)

// corruptf returns an ErrCorrupt error naming the file and what is wrong with it.
func corruptf(name, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", name, ErrCorrupt, fmt.Sprintf(format, args...))
}
