package ext4

import (
	"fmt"

	"github.com/dadi-dev/dadi/internal/errs"
)

var (
	// ErrCorrupt marks a file system that breaks the format: a bad magic, a number out of
	// range, an extent beyond the disk, a directory entry that overruns its block. It is
	// errs.ErrCorrupt, so one errors.Is finds corruption of any layer of an image.
	ErrCorrupt = errs.ErrCorrupt
	// ErrNotSupported marks a well-formed file system feature this reader does not handle
	// (block-mapped files, inline-data directories, meta_bg).
	ErrNotSupported = errs.ErrNotSupported
)

func corruptf(format string, args ...any) error {
	return fmt.Errorf("ext4: %w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}
