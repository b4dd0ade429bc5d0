package errs

import (
	"errors"
	"fmt"
)

var (
	// ErrCorrupt marks input that breaks its format: a bad magic, a CRC mismatch, an index
	// out of bounds or out of order, a torn or short read of a file that should hold the bytes.
	ErrCorrupt = errors.New("corrupt data")
	// ErrNotSupported marks well-formed input, or a kernel, that uses a feature dadi does not
	// handle.
	ErrNotSupported = errors.New("not supported")
)

// Corruptf returns an ErrCorrupt error naming the file, the byte offset where the check
// failed, and what is wrong.
func Corruptf(name string, off int64, format string, args ...any) error {
	return fmt.Errorf("%s: offset %d: %w: %s", name, off, ErrCorrupt, fmt.Sprintf(format, args...))
}
