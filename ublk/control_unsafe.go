package ublk

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// putCtrlCmd copies cmd into an SQE's command area.
//
// Preconditions: len(dst) >= sizeofCtrlCmd (an SQE128 command area is 80 bytes).
func putCtrlCmd(dst []byte, cmd *ctrlCmd) {
	copy(dst, unsafe.Slice((*byte)(unsafe.Pointer(cmd)), sizeofCtrlCmd))
}

// putIOCmd copies cmd into an SQE's command area.
//
// Preconditions: len(dst) >= sizeofIOCmd.
func putIOCmd(dst []byte, cmd *ioCmd) {
	*(*ioCmd)(unsafe.Pointer(&dst[0])) = *cmd
}

// The byte views below let the kernel fill Go structs in place.
//
// Preconditions: the struct outlives the command (callers keepAlive it).
func devInfoBytes(d *DevInfo) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(d)), sizeofDevInfo)
}

func paramsBytes(p *params) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), sizeofParams)
}

func cpuSetBytes(s *unix.CPUSet) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(s)), unsafe.Sizeof(*s))
}

func u64Bytes(v *uint64) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(v)), 8)
}

// bufAddr is the user address the kernel copies to or from.
//
// Preconditions: len(b) > 0 and b stays alive until the command completes.
func bufAddr(b []byte) uint64 { return uint64(uintptr(unsafe.Pointer(&b[0]))) }

func keepAlive(b []byte) { runtime.KeepAlive(b) }
