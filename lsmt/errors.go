package lsmt

import (
	"errors"
	"fmt"

	"github.com/dadi-dev/dadi/internal/errs"
)

// The kinds of error a layer reports. ErrCorrupt and ErrNotSupported are the errs family's
// (a ZFile CRC failure inside a layer is the same kind as a bad LSMT index).
var (
	// ErrReadOnly is a write to a layer opened read-only, or to an image without a writable
	// upper layer.
	ErrReadOnly = errors.New("image is read-only")
	// ErrCorrupt marks a layer file that breaks the format: bad magic, missing trailer, an
	// index out of bounds or out of order, a mapping outside the data area, a torn read.
	ErrCorrupt = errs.ErrCorrupt
	// ErrNotSupported marks a well-formed layer that dadi does not handle yet.
	ErrNotSupported = errs.ErrNotSupported
)

// corruptf returns an ErrCorrupt error naming the file and what is wrong with it.
func corruptf(name, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", name, ErrCorrupt, fmt.Sprintf(format, args...))
}
