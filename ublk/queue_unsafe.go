package ublk

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// descSlice views the kernel's shared descriptor array.
//
// Preconditions: mem is the mapping of at least n descriptors.
func descSlice(mem []byte, n int) []ioDesc {
	return unsafe.Slice((*ioDesc)(unsafe.Pointer(&mem[0])), n)
}

// bufAddr is the address of tag's I/O buffer, which the kernel copies request data to or from.
//
// Preconditions: q.bufMem is mapped and tag < q.depth.
func (q *Queue) bufAddr(tag uint16) uint64 {
	return uint64(uintptr(unsafe.Pointer(&q.bufMem[int(tag)*q.maxIO])))
}

// setThreadName names the calling thread (shown in /proc/PID/task/TID/comm), so operators and
// tests can find each queue's thread.
func setThreadName(name string) {
	var b [16]byte
	copy(b[:15], name)
	unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&b[0])), 0, 0, 0)
}
