package file

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// rwv2 is one preadv2/pwritev2 with flags (RWF_NOWAIT: copy what the page cache can give
// without sleeping, -EAGAIN otherwise). It uses one iovec on the stack, so it allocates
// nothing.
//
// Preconditions: len(buf) > 0.
func rwv2(write bool, fd int32, buf []byte, off int64, flags int) (int, unix.Errno) {
	iov := unix.Iovec{Base: &buf[0]}
	iov.SetLen(len(buf))
	nr := uintptr(unix.SYS_PREADV2)
	if write {
		nr = unix.SYS_PWRITEV2
	}
	// The offset is passed as two longs (low, high) on every architecture's preadv2.
	n, _, errno := unix.Syscall6(nr, uintptr(fd), uintptr(unsafe.Pointer(&iov)), 1,
		uintptr(off), uintptr(uint64(off)>>32>>32), uintptr(flags))
	return int(n), errno
}
