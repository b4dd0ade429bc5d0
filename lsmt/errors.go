package lsmt

import (
	"errors"
	"fmt"

	"github.com/dadi-dev/dadi/internal/errs"
)

var (
	// ErrCorrupt marks a layer file that breaks the format: bad magic, missing trailer, an
	// index out of bounds or out of order, a mapping outside the data area, a torn read. It
	// is errs.ErrCorrupt, so a ZFile CRC failure inside a layer is the same kind.
	ErrCorrupt = errs.ErrCorrupt
	// ErrNotSupported marks a well-formed layer that dadi does not handle yet.
	ErrNotSupported = errs.ErrNotSupported
	// ErrReadOnly is a write to a layer opened read-only, or to an image without a writable
	// upper layer.
	ErrReadOnly = errors.New("image is read-only")
)

// corruptf returns an ErrCorrupt error naming the file and what is wrong with it.
func corruptf(name, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", name, ErrCorrupt, fmt.Sprintf(format, args...))
}
