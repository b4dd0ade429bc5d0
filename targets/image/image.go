package image

import (
	"syscall"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/ublk"
)

// Target serves an image. It owns the image: closing the target closes it.
type Target struct{ img *engine.Image }

// New makes the target of img.
func New(img *engine.Image) *Target { return &Target{img: img} }

// Image is the image the target serves.
func (t *Target) Image() *engine.Image { return t.img }

func (t *Target) Size() int64  { return t.img.Size() }
func (t *Target) Close() error { return t.img.Close() }

// NewQueue gives a ublk queue its own engine session, so its requests allocate nothing.
func (t *Target) NewQueue(q ublk.QueueContext) (ublk.QueueTarget, error) {
	return &queue{img: t.img, s: t.img.NewSession()}, nil
}

// queue serves one queue's requests synchronously with pread/pwrite.
type queue struct {
	img *engine.Image
	s   *engine.Session
}

func (q *queue) Handle(tag uint16, req *ublk.Request) (int32, bool) {
	var err error
	switch req.Op {
	case ublk.OpRead:
		_, err = q.s.ReadAt(req.Buf[:req.Length], req.Offset)
	case ublk.OpWrite:
		_, err = q.s.WriteAt(req.Buf[:req.Length], req.Offset)
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

// Complete is never reached: Handle finishes every request itself.
func (q *queue) Complete(tag uint16, req *ublk.Request, cqeRes int32) (int32, bool) {
	return -int32(syscall.EIO), true
}

func (q *queue) Close() error { return nil }
