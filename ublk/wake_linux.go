package ublk

import (
	"fmt"
	"math/bits"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// How another goroutine wakes a queue. The queue's ring has one issuer, its own thread, so
// no other goroutine may put an SQE on it. Instead the queue keeps a read of an eventfd on
// its ring (ublksrv polls an eventfd the same way): a waker notes the tag in a bitmap and
// writes the eventfd, the read completes, and the queue thread, woken from its wait like by
// any completion, runs the target's Woken for each noted tag and reads the eventfd again.
// No thread per request, no channel, no allocation: only the first Wake since the queue last
// looked makes a system call.
//
// Ordering: a waker sets its tag's count and bit, then sets sent if it was clear and writes
// the eventfd. The queue clears sent before it reads the bits. A waker that finds sent already
// set (so makes no system call) set its bit before the queue cleared sent, hence before the
// queue reads the bits: no wake is lost.

// wakeOne is the 8-byte counter increment an eventfd write carries; never written.
var wakeOne = [8]byte{1}

// wakeState is the wake half of a queue serving a Wakeable target. Zero for other targets.
type wakeState struct {
	target Wakeable
	efd    int             // the eventfd; blocking, so io_uring polls it instead of failing with EAGAIN
	sent   atomic.Bool     // a wake is written and the queue has not yet looked at the bits
	bits   []atomic.Uint64 // tags with wakes, one bit each
	counts []atomic.Uint32 // wakes per tag not yet handed to the target
	buf    [8]byte         // the eventfd read's destination: Go heap memory does not move
	failed bool            // the eventfd read failed once: logged, not again
}

// setup makes the eventfd and queues its first read. Called on the queue's goroutine.
func (w *wakeState) setup(q *Queue, target Wakeable) error {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("wake eventfd: %w", err)
	}
	w.efd = efd
	w.target = target
	w.bits = make([]atomic.Uint64, (q.depth+63)/64)
	w.counts = make([]atomic.Uint32, q.depth)
	w.arm(q)
	return nil
}

func (w *wakeState) arm(q *Queue) {
	sqe := q.getSQE()
	sqe.PrepRead(int32(w.efd), w.buf[:], 0)
	sqe.UserData = kindWake << kindShift
}

func (w *wakeState) close() {
	if w.target != nil {
		unix.Close(w.efd)
		w.target = nil
	}
}

// Handoff counts a piece of tag's request handed to another goroutine (QueueContext.Handoff).
func (q *Queue) Handoff(tag uint16) {
	if q.wake.target == nil {
		panic("ublk: Handoff from a QueueTarget that does not implement Wakeable")
	}
	q.tags[tag].handoffs++
}

// Wake notes that a handed-off piece of tag's request is done and wakes the queue
// (QueueContext.Wake). Safe from any goroutine.
func (q *Queue) Wake(tag uint16) {
	w := &q.wake
	w.counts[tag].Add(1)
	w.bits[tag/64].Or(1 << (tag % 64))
	if w.sent.CompareAndSwap(false, true) {
		if _, err := unix.Write(w.efd, wakeOne[:]); err != nil {
			// Only a closed eventfd fails here: a target woke its queue after Close.
			q.log.Error("wake queue", "queue", q.id, "tag", tag, "err", err)
		}
	}
}

// woken runs on the queue's goroutine when the eventfd read completed: it reads again, then
// hands every noted wake to the target.
func (w *wakeState) woken(q *Queue, res int32) {
	if res == -int32(syscall.ECANCELED) || w.target == nil {
		return // the ring is closing
	}
	if res < 0 && !w.failed {
		w.failed = true
		q.log.Error("read of the queue's wake eventfd failed; reading again", "queue", q.id, "err", syscall.Errno(-res))
	}
	w.sent.Store(false)
	w.arm(q)
	for i := range w.bits {
		word := w.bits[i].Swap(0)
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			tag := uint16(i*64 + b)
			for n := w.counts[tag].Swap(0); n > 0; n-- {
				q.wakeTag(tag)
			}
		}
	}
}

// wakeTag hands one wake of tag to the target, or drains it for a failed request.
func (q *Queue) wakeTag(tag uint16) {
	ts := &q.tags[tag]
	if ts.handoffs == 0 {
		q.log.Error("wake of a tag with nothing handed off; ignored", "queue", q.id, "tag", tag)
		return
	}
	ts.handoffs--
	if ts.failed {
		if ts.idle() {
			q.commitFailed(tag)
		}
		return
	}
	if r, done := q.wokenTarget(tag); done {
		q.commit(tag, r)
	}
}
