package ebpf

import "fmt"

// Op is the kind of a request, as a trace shows it.
type Op byte

const (
	OpRead    Op = 'R'
	OpWrite   Op = 'W'
	OpDiscard Op = 'D' // discard, secure erase and write-zeroes: no data moves
	OpFlush   Op = 'F'
)

// Kernel REQ_OP_* numbers (include/linux/blk_types.h); stable since 4.10.
const (
	reqOpRead        = 0
	reqOpWrite       = 1
	reqOpFlush       = 2
	reqOpDiscard     = 3
	reqOpSecureErase = 5
	reqOpWriteZeroes = 9
)

// opFromKernel maps a REQ_OP_* to an Op; ok is false for zone and driver-private requests,
// which carry no file data and are counted, not traced.
func opFromKernel(op uint8) (Op, bool) {
	switch op {
	case reqOpRead:
		return OpRead, true
	case reqOpWrite:
		return OpWrite, true
	case reqOpFlush:
		return OpFlush, true
	case reqOpDiscard, reqOpSecureErase, reqOpWriteZeroes:
		return OpDiscard, true
	}
	return 0, false
}

func (o Op) valid() bool { return o == OpRead || o == OpWrite || o == OpDiscard || o == OpFlush }

// Event is one finished block request.
type Event struct {
	Time    uint64 // issue time, ns since the capture started
	Latency uint64 // ns from issue to completion
	Sector  uint64 // start, 512-byte sectors
	Bytes   uint32
	Dev     Dev
	PID     uint32 // process (thread group) that issued the request
	Op      Op
	Error   uint8 // the kernel's blk_status_t, 0 = success
	Comm    string
}

// Offset is the byte offset of the request on the device.
func (e *Event) Offset() int64 { return int64(e.Sector) * 512 }

// Dev is a device number in the kernel's internal encoding (major << 20 | minor), which is
// what the block tracepoints see.
type Dev uint32

// MkDev encodes major:minor.
func MkDev(major, minor uint32) Dev { return Dev(major<<20 | minor&0xfffff) }

func (d Dev) Major() uint32  { return uint32(d) >> 20 }
func (d Dev) Minor() uint32  { return uint32(d) & 0xfffff }
func (d Dev) String() string { return fmt.Sprintf("%d:%d", d.Major(), d.Minor()) }
