package ext4

import (
	"errors"
	"fmt"
)

var (
	// ErrCorrupt marks a file system that breaks the format: a bad magic, a number out of
	// range, an extent beyond the disk, a directory entry that overruns its block.
	ErrCorrupt = errors.New("corrupt ext4 file system")
	// ErrNotSupported marks a well-formed file system feature this reader does not handle
	// (block-mapped files, inline-data directories, meta_bg).
	ErrNotSupported = errors.New("ext4 feature not supported")
)

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}
