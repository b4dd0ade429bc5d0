package errs

import (
	"errors"
	"syscall"
)

// Errno is the errno a block request that failed with err completes with (the ublk completion
// carries its negation): an error that wraps a syscall.Errno keeps it; every other error
// (corrupt data, short reads, checksum failures, a registry that does not answer) is EIO, so
// the kernel never takes wrong bytes for success. A nil error is 0.
func Errno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var errno syscall.Errno
	if errors.As(err, &errno) && errno != 0 {
		return errno
	}
	return syscall.EIO
}
