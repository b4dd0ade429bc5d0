package ublk

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// handoffTarget hands every read to worker goroutines, as an image target hands a cache miss
// to fetch workers: a read is cut into pieces, each piece goes to a worker, which fills each
// sector of it with the pattern of that sector and wakes the queue; Woken finishes the read when its last
// piece is back. Writes and other requests are answered at once. With PanicAfterHandoff or
// PanicInWoken set, reads panic there (after their pieces are handed off, or when the first
// one is woken).
type handoffTarget struct {
	Pieces            int // per read, at least 1
	Workers           int
	PanicAfterHandoff bool
	PanicInWoken      bool

	// Hold, when not nil, makes the workers wait for a value from it before each piece.
	Hold chan struct{}

	handles, wokens atomic.Int64 // over all queues
}

// piece is one handed-off part of a read, at off on the device: fill buf, then wake tag.
type piece struct {
	tag uint16
	off int64
	buf []byte
}

type handoffQueue struct {
	t    *handoffTarget
	q    QueueContext
	left []int // pieces of each tag's read still out
	work chan piece
	wg   sync.WaitGroup
}

func (t *handoffTarget) Size() int64  { return 1 << 30 }
func (t *handoffTarget) Close() error { return nil }

func (t *handoffTarget) NewQueue(q QueueContext) (QueueTarget, error) {
	hq := &handoffQueue{t: t, q: q, left: make([]int, q.Depth()), work: make(chan piece, q.Depth()*t.Pieces)}
	for range t.Workers {
		hq.wg.Add(1)
		go hq.worker()
	}
	return hq, nil
}

// pattern is the byte every position of the sector at off holds: readers check it.
func pattern(off int64) byte { return byte(off>>9) | 1 }

// fillPattern fills buf, which is at off on the device, sector by sector.
func fillPattern(buf []byte, off int64) {
	for i := range buf {
		buf[i] = pattern(off + int64(i))
	}
}

// checkPattern reports the first byte of buf (at off on the device) that is not its pattern.
func checkPattern(buf []byte, off int64) error {
	for i := range buf {
		if want := pattern(off + int64(i)); buf[i] != want {
			return fmt.Errorf("byte %d of a read at %d is %#x, want %#x", i, off, buf[i], want)
		}
	}
	return nil
}

func (hq *handoffQueue) worker() {
	defer hq.wg.Done()
	for p := range hq.work {
		if hq.t.Hold != nil {
			<-hq.t.Hold
		}
		fillPattern(p.buf, p.off)
		hq.q.Wake(p.tag)
	}
}

func (hq *handoffQueue) Handle(tag uint16, req *Request) (int32, bool) {
	t := hq.t
	t.handles.Add(1)
	if req.Op != OpRead {
		return int32(req.Length), true
	}
	size := int(req.Length) / t.Pieces
	hq.left[tag] = t.Pieces
	for i := range t.Pieces {
		hq.q.Handoff(tag)
		hq.work <- piece{tag: tag, off: req.Offset + int64(i*size), buf: req.Buf[i*size : (i+1)*size]}
	}
	if t.PanicAfterHandoff {
		panic("planted bug: Handle after its handoffs")
	}
	return 0, false
}

func (hq *handoffQueue) Woken(tag uint16, req *Request) (int32, bool) {
	hq.t.wokens.Add(1)
	if hq.t.PanicInWoken {
		panic("planted bug: Woken")
	}
	if hq.left[tag]--; hq.left[tag] > 0 {
		return 0, false
	}
	return int32(req.Length), true
}

func (hq *handoffQueue) Complete(uint16, *Request, int32) (int32, bool) {
	return -int32(unix.EIO), true // it submits nothing
}

func (hq *handoffQueue) Close() error {
	close(hq.work)
	hq.wg.Wait()
	return nil
}

// Another goroutine wakes the queue N times: each read is finished by Woken on the queue's
// goroutine with the bytes the worker wrote, and a wake costs no allocation.
func TestWakeFromAnotherGoroutine(t *testing.T) {
	ht := &handoffTarget{Pieces: 1, Workers: 1}
	h := newHostQueue(t, ht, 4, 64<<10)
	const n = 1000
	for i := range n {
		off := int64(i%64) * 4096
		require.Equal(t, int32(4096), serve(t, h, uint16(i%4), OpRead, off, 4096))
		require.NoError(t, checkPattern(h.Buf(uint16(i % 4))[:4096], off))
	}
	require.Equal(t, int64(n), ht.handles.Load())
	require.Equal(t, int64(n), ht.wokens.Load(), "the target saw every wake")
	require.Zero(t, h.TargetPanics())

	allocs := testing.AllocsPerRun(500, func() {
		serve(t, h, 1, OpRead, 8192, 4096)
	})
	require.Zero(t, allocs, "a handoff and its wake must not allocate")
	require.Equal(t, int64(n+501), ht.wokens.Load())
}

// Every tag in flight at once, each read cut into four pieces for four workers: every tag is
// committed once, with its own bytes, after all its pieces were woken.
func TestWakeEveryTagInFlight(t *testing.T) {
	const depth, pieces = 64, 4
	ht := &handoffTarget{Pieces: pieces, Workers: 4}
	h := newHostQueue(t, ht, depth, 16<<10)
	for round := range 20 {
		for tag := range uint16(depth) {
			h.Start(tag, OpRead, int64(round*depth+int(tag))*16<<10, 16<<10)
		}
		seen := make(map[uint16]bool)
		for range depth {
			tag, res, err := h.Wait()
			require.NoError(t, err)
			require.False(t, seen[tag], "tag %d committed twice", tag)
			seen[tag] = true
			require.Equal(t, int32(16<<10), res)
			require.NoError(t, checkPattern(h.Buf(tag)[:16<<10], int64(round*depth+int(tag))*16<<10))
			require.Equal(t, tagState{}, h.q.tags[tag])
		}
	}
	require.Equal(t, int64(20*depth*pieces), ht.wokens.Load(), "one Woken per handoff")
}

// A target that panics after handing a read off: the queue answers the tag with EIO only once
// the worker woke it (so the worker's late bytes cannot land in the tag's next request), and
// does not pass that wake to the target. The tag then serves again.
func TestWakeAfterPanicIsDrained(t *testing.T) {
	ht := &handoffTarget{Pieces: 2, Workers: 1, PanicAfterHandoff: true, Hold: make(chan struct{})}
	h := newHostQueue(t, ht, 4, 64<<10)
	q := h.q
	q.log = slog.New(slog.DiscardHandler)

	q.committed[2] = 1
	h.Start(2, OpRead, 0, 8192)
	require.True(t, q.tags[2].failed)
	require.Equal(t, uint32(2), q.tags[2].handoffs, "the queue waits for both pieces")
	require.Equal(t, int32(1), q.committed[2], "nothing committed while a worker holds the buffer")
	ht.Hold <- struct{}{}
	ht.Hold <- struct{}{}
	tag, res, err := h.Wait()
	require.NoError(t, err)
	require.Equal(t, uint16(2), tag)
	require.Equal(t, -int32(unix.EIO), res)
	require.Zero(t, ht.wokens.Load(), "the failed request's wakes are not handed to the target")
	require.Equal(t, tagState{}, q.tags[2])
	require.Equal(t, int64(1), h.TargetPanics())

	ht.PanicAfterHandoff = false
	go func() { ht.Hold <- struct{}{}; ht.Hold <- struct{}{} }()
	require.Equal(t, int32(8192), serve(t, h, 2, OpRead, 0, 8192))
	require.NoError(t, checkPattern(h.Buf(2)[:8192], 0))
}

// A panic in Woken fails the request with EIO once its other piece is woken too.
func TestWakePanicInWokenIsEIO(t *testing.T) {
	ht := &handoffTarget{Pieces: 2, Workers: 2, PanicInWoken: true}
	h := newHostQueue(t, ht, 4, 64<<10)
	h.q.log = slog.New(slog.DiscardHandler)
	require.Equal(t, -int32(unix.EIO), serve(t, h, 0, OpRead, 0, 8192))
	require.Equal(t, int64(1), ht.wokens.Load(), "the second wake is drained, not passed on")
	require.Equal(t, int64(1), h.TargetPanics())
	ht.PanicInWoken = false
	require.Equal(t, int32(8192), serve(t, h, 0, OpRead, 4096, 8192))
}

// Handoff from a target that cannot be woken is a bug of that target: its request fails.
func TestHandoffNeedsWakeable(t *testing.T) {
	pt := newPanicTarget(instantTarget{})
	pt.HandoffAt = 0
	h := newHostQueue(t, pt, 2, 4096)
	h.q.log = slog.New(slog.DiscardHandler)
	require.Equal(t, -int32(unix.EIO), serve(t, h, 0, OpRead, 0, 4096))
	require.Equal(t, int64(1), h.TargetPanics())
	require.Equal(t, int32(4096), serve(t, h, 1, OpRead, 4096, 4096))
}

// A wake for a tag that handed nothing off is logged and ignored; the queue goes on.
func TestStrayWakeIgnored(t *testing.T) {
	ht := &handoffTarget{Pieces: 1, Workers: 1}
	h := newHostQueue(t, ht, 4, 64<<10)
	var logs syncBuffer
	h.q.log = slog.New(slog.NewTextHandler(&logs, nil))
	h.q.Wake(3)
	require.Equal(t, int32(4096), serve(t, h, 0, OpRead, 0, 4096))
	require.Equal(t, int64(1), ht.wokens.Load())
	require.Contains(t, logs.String(), "wake of a tag with nothing handed off")
}

// The cost of one handoff round trip through another goroutine and the eventfd.
func BenchmarkHandoffWake(b *testing.B) {
	h := newHostQueue(b, &handoffTarget{Pieces: 1, Workers: 1}, 4, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, 0, OpRead, 0, 4096)
	}
}
