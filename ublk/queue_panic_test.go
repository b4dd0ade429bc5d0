package ublk

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// panicTarget wraps a target with bugs planted at chosen byte offsets, for tests only: a
// request touching HandleAt panics in Handle; one touching SQEThenPanicAt puts a NOP on the
// ring for its tag and then panics in Handle; one touching CompleteAt goes through a NOP and
// panics in Complete; one touching HandoffAt calls Handoff, which a target that is not
// Wakeable may not. A negative offset plants nothing.
type panicTarget struct {
	Target
	HandleAt, SQEThenPanicAt, CompleteAt, HandoffAt int64

	mu        sync.Mutex
	completes int // Complete calls that reached the wrapper, to see stale CQEs are not handed back
}

func newPanicTarget(inner Target) *panicTarget {
	return &panicTarget{Target: inner, HandleAt: -1, SQEThenPanicAt: -1, CompleteAt: -1, HandoffAt: -1}
}

func (t *panicTarget) NewQueue(q QueueContext) (QueueTarget, error) {
	inner, err := t.Target.NewQueue(q)
	if err != nil {
		return nil, err
	}
	return &panicQueue{QueueTarget: inner, t: t, q: q}, nil
}

func (t *panicTarget) Completes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.completes
}

type panicQueue struct {
	QueueTarget
	t *panicTarget
	q QueueContext
}

func touches(req *Request, off int64) bool {
	return off >= 0 && req.Offset <= off && off < req.Offset+int64(req.Length)
}

func (p *panicQueue) Handle(tag uint16, req *Request) (int32, bool) {
	switch {
	case touches(req, p.t.HandleAt):
		panic(fmt.Sprintf("planted bug: Handle at offset %d", req.Offset))
	case touches(req, p.t.SQEThenPanicAt):
		p.q.SQE(tag).PrepNop()
		panic(fmt.Sprintf("planted bug: Handle after an SQE at offset %d", req.Offset))
	case touches(req, p.t.CompleteAt):
		p.q.SQE(tag).PrepNop()
		return 0, false
	case touches(req, p.t.HandoffAt):
		p.q.Handoff(tag)
		return 0, false
	}
	return p.QueueTarget.Handle(tag, req)
}

func (p *panicQueue) Complete(tag uint16, req *Request, res int32) (int32, bool) {
	p.t.mu.Lock()
	p.t.completes++
	p.t.mu.Unlock()
	if touches(req, p.t.CompleteAt) {
		var table []int
		_ = table[req.Offset] // a runtime error, as real bugs raise them
	}
	return p.QueueTarget.Complete(tag, req, res)
}

// syncBuffer is a log destination that queues may write while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A panic in Handle answers that request with EIO; the same tag and the others keep serving;
// every panic is counted and each distinct site is logged once, with its stack.
func TestTargetPanicInHandleIsEIO(t *testing.T) {
	pt := newPanicTarget(instantTarget{})
	pt.HandleAt = 1 << 20
	h := newHostQueue(t, pt, 4, 64<<10)
	var logs syncBuffer
	h.q.log = slog.New(slog.NewTextHandler(&logs, nil))

	require.Equal(t, -int32(unix.EIO), serve(t, h, 1, OpRead, 1<<20, 4096))
	require.Equal(t, int32(4096), serve(t, h, 1, OpRead, 0, 4096), "the tag serves again")
	require.Equal(t, int32(8192), serve(t, h, 2, OpWrite, 2<<20, 8192))
	// A request that covers the planted offset without starting at it fails too.
	require.Equal(t, -int32(unix.EIO), serve(t, h, 3, OpWrite, 1<<20-4096, 8192))
	require.Equal(t, int64(2), h.TargetPanics())

	out := logs.String()
	require.Equal(t, 1, strings.Count(out, "target panicked"), "one site, one log record:\n%s", out)
	require.Contains(t, out, "planted bug: Handle at offset 1048576")
	require.Contains(t, out, "panicQueue).Handle", "the site names the panicking function")
	require.Contains(t, out, "queue_panic_test.go", "the record carries the stack")
	require.Contains(t, out, "offset=1048576")
}

// A panic in Complete, after the target's own I/O came back, answers with EIO too; a runtime
// error (index out of range) is caught like an explicit panic.
func TestTargetPanicInCompleteIsEIO(t *testing.T) {
	pt := newPanicTarget(instantTarget{})
	pt.CompleteAt = 1 << 20
	h := newHostQueue(t, pt, 4, 64<<10)
	var logs syncBuffer
	h.q.log = slog.New(slog.NewTextHandler(&logs, nil))

	require.Equal(t, -int32(unix.EIO), serve(t, h, 0, OpRead, 1<<20, 4096))
	require.Equal(t, int32(4096), serve(t, h, 0, OpRead, 4096, 4096))
	require.Equal(t, int64(1), h.TargetPanics())
	require.Contains(t, logs.String(), "index out of range")
	require.Contains(t, logs.String(), "panicQueue).Complete")
}

// A target that panics with an SQE of the tag still on the ring: the queue answers the tag
// only once that SQE completed, and does not hand the stale completion back to the target.
func TestTargetPanicWaitsForItsSQEs(t *testing.T) {
	pt := newPanicTarget(instantTarget{})
	pt.SQEThenPanicAt = 1 << 20
	h := newHostQueue(t, pt, 4, 64<<10)
	q := h.q
	q.log = slog.New(slog.DiscardHandler)

	q.committed[2] = 1
	h.Start(2, OpRead, 1<<20, 4096)
	require.True(t, q.tags[2].failed, "the tag waits for its SQE")
	require.Equal(t, uint32(1), q.tags[2].targetSQEs)
	require.Equal(t, int32(1), q.committed[2], "nothing committed while the SQE is out")

	tag, res, err := h.Wait() // drains, then commits
	require.NoError(t, err)
	require.Equal(t, uint16(2), tag)
	require.Equal(t, -int32(unix.EIO), res)
	require.Equal(t, tagState{}, q.tags[2])
	require.Zero(t, pt.Completes(), "the failed request's completion is not handed to the target")
	require.Equal(t, int32(4096), serve(t, h, 2, OpRead, 0, 4096))
}

// A target that panics at many sites logs a bounded number of stacks.
func TestTargetPanicSitesBounded(t *testing.T) {
	var p targetPanics
	logged := 0
	for i := range 3 * maxPanicSites {
		if p.newSite(fmt.Sprint("site", i)) {
			logged++
		}
	}
	require.Equal(t, maxPanicSites, logged)
	require.False(t, p.newSite("site0"), "a site is logged once")
}

// The deferred recover costs what one open-coded defer costs; compare with the direct call.
func BenchmarkHandle(b *testing.B) {
	q := newHostQueue(b, instantTarget{}, 4, 64<<10).q
	req := &q.reqs[0]
	*req = Request{Op: OpRead, Length: 4096, Buf: q.bufMem[:4096]}
	b.Run("recover", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			q.handle(0, req)
		}
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			q.target.Handle(0, req)
		}
	})
}
