package engine

import (
	"syscall"

	"github.com/dadi-dev/dadi/ublk"
)

var _ ublk.Target = (*Image)(nil)

// NewQueue gives a ublk queue its own scratch memory, so its requests allocate nothing.
func (img *Image) NewQueue(q ublk.QueueContext) (ublk.QueueTarget, error) {
	return &queueTarget{img: img, sc: newScratch()}, nil
}

// queueTarget serves one queue's requests synchronously with pread/pwrite.
type queueTarget struct {
	img *Image
	sc  *scratch
}

func (q *queueTarget) Handle(tag uint16, req *ublk.Request) (int32, bool) {
	var err error
	switch req.Op {
	case ublk.OpRead:
		err = q.demandRead(req)
	case ublk.OpWrite:
		err = q.img.write(req.Buf[:req.Length], req.Offset, q.sc)
	case ublk.OpFlush:
		return ublk.Result(q.img.Flush()), true
	case ublk.OpDiscard, ublk.OpWriteZeroes:
		return ublk.Result(q.img.Zero(req.Offset, int64(req.Length))), true
	default:
		return -int32(syscall.EOPNOTSUPP), true
	}
	if err != nil {
		return ublk.Result(err), true
	}
	return int32(req.Length), true
}

// demandRead marks a demand read for prefetch to yield to; the deferred demandDone keeps the
// count right even when the read panics and the queue answers the request with EIO.
func (q *queueTarget) demandRead(req *ublk.Request) error {
	q.img.demandStart(req.Offset, req.Length)
	defer q.img.demandDone()
	return q.img.read(req.Buf[:req.Length], req.Offset, q.sc)
}

// Complete is never reached: Handle finishes every request itself.
func (q *queueTarget) Complete(tag uint16, req *ublk.Request, cqeRes int32) (int32, bool) {
	return -int32(syscall.EIO), true
}

func (q *queueTarget) Close() error { return nil }
