package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// bindRings points the ring's fields into the mapped memory.
//
// Preconditions: sqMem, cqMem and sqeMem are mapped with the sizes p describes.
func (r *Ring) bindRings(p *params) {
	sq := unsafe.Pointer(&r.sqMem[0])
	cq := unsafe.Pointer(&r.cqMem[0])
	r.sqHead = (*uint32)(unsafe.Add(sq, p.SQOff.Head))
	r.sqTail = (*uint32)(unsafe.Add(sq, p.SQOff.Tail))
	r.sqFlags = (*uint32)(unsafe.Add(sq, p.SQOff.Flags))
	r.sqMask = *(*uint32)(unsafe.Add(sq, p.SQOff.RingMask))
	r.sqEntries = *(*uint32)(unsafe.Add(sq, p.SQOff.RingEntries))
	r.sqArray = unsafe.Slice((*uint32)(unsafe.Add(sq, p.SQOff.Array)), r.sqEntries)
	// The SQ index array is fixed as the identity: SQE i is always slot i.
	for i := range r.sqArray {
		r.sqArray[i] = uint32(i)
	}
	r.cqHead = (*uint32)(unsafe.Add(cq, p.CQOff.Head))
	r.cqTail = (*uint32)(unsafe.Add(cq, p.CQOff.Tail))
	r.cqMask = *(*uint32)(unsafe.Add(cq, p.CQOff.RingMask))
	cqEntries := *(*uint32)(unsafe.Add(cq, p.CQOff.RingEntries))
	r.cqeBase = unsafe.Slice((*byte)(unsafe.Add(cq, p.CQOff.CQEs)), uintptr(cqEntries)*r.cqeSize)
}

// sqeAt is SQE slot idx.
//
// Preconditions: idx <= sqMask.
func (r *Ring) sqeAt(idx uint32) *SQE {
	return (*SQE)(unsafe.Pointer(&r.sqeMem[uintptr(idx)*r.sqeSize]))
}

// zeroSQE clears slot idx, including the second half of a 128-byte SQE.
//
// Preconditions: idx <= sqMask.
func (r *Ring) zeroSQE(idx uint32) {
	off := uintptr(idx) * r.sqeSize
	clear(r.sqeMem[off : off+r.sqeSize])
}

// cqeAt is CQE slot idx.
//
// Preconditions: idx <= cqMask.
func (r *Ring) cqeAt(idx uint32) *CQE {
	return (*CQE)(unsafe.Pointer(&r.cqeBase[uintptr(idx)*r.cqeSize]))
}

// Cmd returns the URING_CMD command area of an SQE: 16 bytes, or 80 on an SQE128 ring.
//
// Preconditions: sqe came from r.GetSQE.
func (r *Ring) Cmd(sqe *SQE) []byte {
	n := uintptr(16)
	if r.sqeSize == 128 {
		n = 80
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&sqe.Addr3)), n)
}

func ptrInt32(p *int32) unsafe.Pointer { return unsafe.Pointer(p) }

func setupSyscall(entries uint32, p *params) (int, error) {
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(p)), 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

func enter(fd int, toSubmit, minComplete, flags uint32) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(fd), uintptr(toSubmit),
		uintptr(minComplete), uintptr(flags), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

func register(fd int, op uintptr, arg unsafe.Pointer, nr uintptr) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(fd), op, uintptr(arg), nr, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// RegisterBuffers registers bufs as fixed buffers 0..len-1 for OpReadFixed/OpWriteFixed.
// The memory must stay allocated and unmoved until UnregisterBuffers or Close; dadi only
// registers mmap'ed memory, which the Go runtime never moves.
func (r *Ring) RegisterBuffers(bufs [][]byte) error {
	iov := make([]unix.Iovec, len(bufs))
	for i, b := range bufs {
		iov[i].Base = &b[0]
		iov[i].SetLen(len(b))
	}
	if len(iov) == 0 {
		return unix.EINVAL
	}
	_, err := register(r.fd, registerBuffers, unsafe.Pointer(&iov[0]), uintptr(len(iov)))
	return err
}

// Probe reports which opcodes the running kernel supports.
func (r *Ring) Probe() (Probe, error) {
	var buf struct {
		h   probeHeader
		ops [opLast]probeOp
	}
	if _, err := register(r.fd, registerProbe, unsafe.Pointer(&buf), uintptr(opLast)); err != nil {
		return Probe{}, err
	}
	var p Probe
	for i := 0; i < int(buf.h.OpsLen) && i < int(opLast); i++ {
		if buf.ops[i].Flags&probeOpSupported != 0 {
			p.ops[buf.ops[i].Op/64] |= 1 << (buf.ops[i].Op % 64)
		}
	}
	return p, nil
}

// Probe is the set of supported opcodes.
type Probe struct{ ops [4]uint64 }

// Supports tells whether opcode op is available.
func (p Probe) Supports(op uint8) bool { return p.ops[op/64]&(1<<(op%64)) != 0 }
