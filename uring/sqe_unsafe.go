package uring

import "unsafe"

// Prep functions fill every field that matters for their opcode and leave UserData alone, so a
// caller may set UserData before or after.

// addrOf is the address of b's first byte, 0 for an empty slice.
//
// Preconditions: b stays alive and unmoved until the request completes (dadi passes mmap'ed
// buffers or buffers it keeps referenced for the request's life).
func addrOf(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))
}

// PrepNop makes a no-op request.
func (s *SQE) PrepNop() { s.Opcode = OpNop }

// PrepRead reads len(buf) bytes of fd at off into buf.
func (s *SQE) PrepRead(fd int32, buf []byte, off uint64) {
	s.prepRW(OpRead, fd, addrOf(buf), uint32(len(buf)), off)
}

// PrepWrite writes buf to fd at off.
func (s *SQE) PrepWrite(fd int32, buf []byte, off uint64) {
	s.prepRW(OpWrite, fd, addrOf(buf), uint32(len(buf)), off)
}

// PrepReadFixed reads into buf, which lies inside registered buffer bufIndex.
func (s *SQE) PrepReadFixed(fd int32, buf []byte, off uint64, bufIndex uint16) {
	s.prepRW(OpReadFixed, fd, addrOf(buf), uint32(len(buf)), off)
	s.BufIndex = bufIndex
}

// PrepWriteFixed writes buf, which lies inside registered buffer bufIndex.
func (s *SQE) PrepWriteFixed(fd int32, buf []byte, off uint64, bufIndex uint16) {
	s.prepRW(OpWriteFixed, fd, addrOf(buf), uint32(len(buf)), off)
	s.BufIndex = bufIndex
}

// PrepFsync syncs fd; with FsyncDatasync in flags it is an fdatasync.
func (s *SQE) PrepFsync(fd int32, flags uint32) {
	s.prepRW(OpFsync, fd, 0, 0, 0)
	s.OpFlags = flags
}

// PrepFallocate is fallocate(fd, mode, off, length).
func (s *SQE) PrepFallocate(fd int32, mode uint32, off, length uint64) {
	s.prepRW(OpFallocate, fd, length, mode, off)
}

// PrepURingCmd makes a URING_CMD with the given cmd_op; the command payload goes in Ring.Cmd.
func (s *SQE) PrepURingCmd(fd int32, cmdOp uint32) {
	s.prepRW(OpURingCmd, fd, 0, 0, uint64(cmdOp))
}

func (s *SQE) prepRW(op uint8, fd int32, addr uint64, length uint32, off uint64) {
	s.Opcode = op
	s.Fd = fd
	s.Addr = addr
	s.Len = length
	s.Off = off
}

// PrepPollAdd completes once fd has any of the poll events in mask (POLLIN, ...).
func (s *SQE) PrepPollAdd(fd int32, mask uint32) {
	s.prepRW(OpPollAdd, fd, 0, 0, 0)
	s.OpFlags = mask
}
