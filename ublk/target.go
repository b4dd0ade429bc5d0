package ublk

import "github.com/dadi-dev/dadi/internal/errs"

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
// Results follow the kernel's convention: the number of bytes done for reads and writes, 0 for
// flush, discard and write-zeroes, a negative errno on failure (see Result).
//
// A panic in Handle or Complete fails only that request: the queue recovers it, answers the
// request with EIO once the SQEs the target had submitted for the tag have completed (their
// completions are not passed to Complete), logs the first panic of each site with its stack
// and counts them all (Device.TargetPanics). The tag's next Handle must therefore reset any
// per-tag state, and locks must be released with defer, or the next request finds them held.
// Fatal runtime errors (out of memory, concurrent map writes) cannot be recovered.
type QueueTarget interface {
	// Handle starts req for tag. It returns done=true with the result when it finished at once,
	// or done=false after submitting SQEs for the tag through QueueContext.Submit; the queue
	// then calls Complete with each of their completions.
	Handle(tag uint16, req *Request) (res int32, done bool)
	// Complete passes the result of an SQE that Handle (or an earlier Complete) submitted for tag.
	Complete(tag uint16, req *Request, cqeRes int32) (res int32, done bool)
	// Close releases the queue's resources; called on the queue's goroutine as it stops.
	Close() error
}

// Result is the negative errno a ublk completion carries for err (errs.Errno: a wrapped
// syscall.Errno is kept, anything else, corrupt data included, is EIO; nil is 0).
func Result(err error) int32 { return -int32(errs.Errno(err)) }

// QueueContext is what a queue offers its QueueTarget: which queue it is and a way to put its
// own I/O on the queue's ring.
type QueueContext interface {
	// QueueID is the queue's number, 0-based.
	QueueID() int
	// Depth is the number of tags of the queue.
	Depth() int
}
