package ebpf

import (
	"errors"
	"fmt"
	"math"
)

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

// Offset is the byte offset of the request on the device; meaningful once Check passed (a
// sector of 2^54 or more has no byte offset in an int64).
func (e *Event) Offset() int64 { return int64(e.Sector) * 512 }

// maxSector is the last sector whose byte offset fits in an int64.
const maxSector = math.MaxInt64 / 512

// Check says whether the event's numbers can be used: its byte range [Offset, Offset+Bytes)
// and its end time Time+Latency inside int64. The file's checksum does not vouch for this; it
// only says the bytes are those written. i is the event's index, for the message.
func (e *Event) Check(i int) error {
	bad := func(what string) error {
		return fmt.Errorf("%w: event %d (%c sector %d, %d bytes, time %d ns, latency %d ns): %s",
			ErrBadEvent, i, e.Op, e.Sector, e.Bytes, e.Time, e.Latency, what)
	}
	switch {
	case e.Sector > maxSector || int64(e.Bytes) > math.MaxInt64-int64(e.Sector)*512:
		return bad("the byte range does not fit in an int64")
	case e.Time > math.MaxInt64 || e.Latency > math.MaxInt64-e.Time:
		return bad("the end time does not fit in an int64")
	}
	return nil
}

// ErrBadEvent marks an event whose numbers no device can have.
var ErrBadEvent = errors.New("bad device trace event")

// Dev is a device number in the kernel's internal encoding (major << 20 | minor), which is
// what the block tracepoints see.
type Dev uint32

// MkDev encodes major:minor.
func MkDev(major, minor uint32) Dev { return Dev(major<<20 | minor&0xfffff) }

func (d Dev) Major() uint32  { return uint32(d) >> 20 }
func (d Dev) Minor() uint32  { return uint32(d) & 0xfffff }
func (d Dev) String() string { return fmt.Sprintf("%d:%d", d.Major(), d.Minor()) }
