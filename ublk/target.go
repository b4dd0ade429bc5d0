package ublk

import (
	"github.com/dadi-dev/dadi/internal/errs"
	"github.com/dadi-dev/dadi/uring"
)

// Op is the kind of a block request, as the kernel's UBLK_IO_OP_* numbers it.
type Op uint8

const (
	OpRead        Op = 0
	OpWrite       Op = 1
	OpFlush       Op = 2
	OpDiscard     Op = 3
	OpWriteSame   Op = 4
	OpWriteZeroes Op = 5
)

func (o Op) String() string {
	switch o {
	case OpRead:
		return "read"
	case OpWrite:
		return "write"
	case OpFlush:
		return "flush"
	case OpDiscard:
		return "discard"
	case OpWriteSame:
		return "write-same"
	case OpWriteZeroes:
		return "write-zeroes"
	}
	return "unknown"
}

// Request is one block request as a Target sees it. The queue reuses one Request per tag,
// so a Target must not keep a pointer to it after finishing the request.
type Request struct {
	Op     Op
	Flags  uint32 // UBLK_IO_F_* bits (FUA, NOUNMAP, ...)
	Offset int64  // byte offset on the device
	Length uint32 // bytes
	// Buf is the tag's I/O buffer, Length bytes long for reads and writes: a read fills it,
	// a write's data is in it. Nil for flush, discard and write-zeroes.
	Buf []byte
}

// Target answers the block requests of one device. It is shared by all queues; per-queue
// state lives in the QueueTarget that NewQueue returns.
type Target interface {
	// Size is the device size in bytes, a multiple of 512.
	Size() int64
	// NewQueue makes the per-queue half of the target. It is called on the queue's own
	// goroutine (locked to its OS thread) before the queue fetches its first request.
	NewQueue(q QueueContext) (QueueTarget, error)
	// Close releases what the target holds once every queue has stopped.
	Close() error
}

// QueueTarget serves the requests of one queue. All its methods are called from that queue's
// goroutine only, so its state needs no locks.
//
// A request is finished at once or later. Handle returns done=true with the result when it
// finished the request itself; otherwise it returns done=false after starting the request's
// work in one or both of two ways, and the queue calls back when each piece is done:
//   - SQEs on the queue's ring (QueueContext.SQE): each completion comes to Complete;
//   - work handed to another goroutine (QueueContext.Handoff, then that goroutine's
//     QueueContext.Wake): each wake comes to Woken, which only a Wakeable target has.
//
// Complete and Woken answer the same way, and may start more work. A target must not return
// done=true while work of the tag is still out: the kernel reuses the tag's buffer for its next
// request as soon as the result is committed.
//
// Results follow the kernel's convention: the number of bytes done for reads and writes, 0 for
// flush, discard and write-zeroes, a negative errno on failure (see Result).
//
// A panic in Handle, Complete or Woken fails only that request: the queue recovers it, answers
// the request with EIO once the work the target had started for the tag is done (its SQEs have
// completed and its handoffs have been woken; those completions and wakes are not passed to
// the target), logs the first panic of each site with its stack and counts them all
// (Device.TargetPanics). The tag's next Handle must therefore reset any per-tag state, and locks
// must be released with defer, or the next request finds them held. Fatal runtime errors (out of
// memory, concurrent map writes) cannot be recovered.
type QueueTarget interface {
	// Handle starts req for tag.
	Handle(tag uint16, req *Request) (res int32, done bool)
	// Complete passes the result of an SQE that the target got from QueueContext.SQE for tag.
	Complete(tag uint16, req *Request, cqeRes int32) (res int32, done bool)
	// Close releases the queue's resources; called on the queue's goroutine as it stops. A
	// target that hands work to goroutines stops them here: none may call Wake afterwards.
	Close() error
}

// Wakeable is a QueueTarget that hands requests, or pieces of them, to other goroutines (a
// cache miss to a fetch worker, say) and finishes them on the queue's goroutine when the work
// is done. The queue calls Woken once for each QueueContext.Wake of tag, on its own goroutine,
// so what the other goroutine produced is finished (checked, decompressed, committed) without
// locks. A QueueTarget that is not Wakeable cannot call Handoff.
type Wakeable interface {
	QueueTarget
	// Woken is called once per Wake of tag, after the Handoff that Wake answers.
	Woken(tag uint16, req *Request) (res int32, done bool)
}

// Result is the negative errno a ublk completion carries for err (errs.Errno: a wrapped
// syscall.Errno is kept, anything else, corrupt data included, is EIO; nil is 0).
func Result(err error) int32 { return -int32(errs.Errno(err)) }

// QueueContext is what a queue offers its QueueTarget: which queue it is, its ring, and a way
// for other goroutines to wake it. Every method but Wake is called on the queue's own goroutine
// (the ring has a single issuer: the queue's thread); Wake is called from anywhere. None of
// them allocates.
type QueueContext interface {
	// QueueID is the queue's number, 0-based.
	QueueID() int
	// Depth is the number of tags of the queue.
	Depth() int
	// SQE returns an SQE on the queue's ring for tag, to be prepared with one of uring.SQE's
	// Prep methods; its completion comes back as the target's Complete(tag, req, cqe.Res). The
	// queue has set the SQE's UserData to route the completion: the target must not change it.
	// Each SQE must complete with exactly one CQE (no IOSQE_CQE_SKIP_SUCCESS, no multishot):
	// the queue counts them per tag. When the ring is full, SQE first submits what is queued.
	SQE(tag uint16) *uring.SQE
	// Submit hands the SQEs prepared so far to the kernel now. The queue submits them anyway
	// before it waits; a target calls Submit when it is about to spend a while on the queue's
	// goroutine and wants its I/O to start first.
	Submit() error
	// Handoff records that a piece of tag's request is now worked on by another goroutine,
	// which calls Wake(tag) exactly once when it is done with it (and with the request's
	// buffer). The queue counts handoffs per tag like SQEs. It panics for a target that is not
	// Wakeable (inside Handle that panic fails the request, as any other).
	Handoff(tag uint16)
	// Wake tells the queue that a piece of tag's request handed off with Handoff is done; the
	// queue's goroutine then calls the target's Woken(tag, req). Safe from any goroutine. Wakes
	// arriving while the queue has not yet run the previous ones cost no system call.
	Wake(tag uint16)
}
