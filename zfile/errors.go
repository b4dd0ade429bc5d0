package zfile

import (
	"errors"
	"fmt"

	"github.com/dadi-dev/dadi/internal/errs"
)

var (
	// ErrCorrupt marks data that fails a check: a CRC or digest mismatch, a length or offset
	// outside what the format allows, a truncated file, a block that does not decode.
	// It is errs.ErrCorrupt: an LSMT layer inside a ZFile fails with the same kind.
	ErrCorrupt = errs.ErrCorrupt
	// ErrNotSupported marks a well-formed file that uses a feature dadi does not implement
	// (a compression dictionary, a compressed index, an unknown algorithm).
	ErrNotSupported = errs.ErrNotSupported
	// ErrNotZFile is returned by Open for data that is neither a ZFile nor a tar holding one.
	ErrNotZFile = errors.New("zfile: not a ZFile")
)

// CorruptError says where a check failed. It matches ErrCorrupt with errors.Is, and the
// codec's own error, if any, too.
type CorruptError struct {
	Name   string // file name given to Open
	Offset int64  // byte offset in the file (compressed coordinates) where the bad data is
	Block  int    // block index, or -1 when the problem is not in one block
	Reason string
	Err    error // underlying codec or I/O error, may be nil
}

func (e *CorruptError) Error() string {
	s := fmt.Sprintf("%s: offset %d", e.Name, e.Offset)
	if e.Block >= 0 {
		s += fmt.Sprintf(" (block %d)", e.Block)
	}
	s += ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s + ": zfile: " + ErrCorrupt.Error()
}

// Unwrap lets errors.Is find both ErrCorrupt and the underlying error.
func (e *CorruptError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrCorrupt}
	}
	return []error{ErrCorrupt, e.Err}
}

func corrupt(name string, off int64, reason string) error {
	return &CorruptError{Name: name, Offset: off, Block: -1, Reason: reason}
}

func corruptf(name string, off int64, format string, args ...any) error {
	return corrupt(name, off, fmt.Sprintf(format, args...))
}

func blockCorrupt(name string, off int64, block int, reason string, err error) error {
	return &CorruptError{Name: name, Offset: off, Block: block, Reason: reason, Err: err}
}
