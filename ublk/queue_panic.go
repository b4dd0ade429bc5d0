package ublk

import (
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// A panic in a target while it serves one request (a bug, or input it did not expect) fails
// that request with EIO and leaves the device serving every other one. The recover sits in
// handle, complete and wokenTarget, small functions around the target's calls, so the
// per-request price is one open-coded defer and the loop itself is untouched.
//
// Not every failure can be caught this way: fatal runtime errors (out of memory, concurrent
// map writes) end the process, and a target that panics while holding a lock it did not
// release with defer deadlocks its next request.

// tagState is what a queue tracks per tag besides its request.
type tagState struct {
	targetSQEs uint32 // SQEs of the target for this tag still on the ring
	handoffs   uint32 // pieces of the request handed to other goroutines and not yet woken
	// failed: the target panicked on the tag's request. The queue answers it with EIO once
	// the tag is idle, so no I/O of the failed request can still land in the tag's buffer when
	// the tag's next request uses it.
	failed bool
}

// idle tells whether none of the target's work for the tag is still out.
func (ts *tagState) idle() bool { return ts.targetSQEs == 0 && ts.handoffs == 0 }

// handle is the target's Handle with a panic turned into a failed request.
func (q *Queue) handle(tag uint16, req *Request) (res int32, done bool) {
	defer q.recoverRequest(tag, &res, &done)
	return q.target.Handle(tag, req)
}

// complete is the target's Complete with a panic turned into a failed request.
func (q *Queue) complete(tag uint16, cqeRes int32) (res int32, done bool) {
	defer q.recoverRequest(tag, &res, &done)
	return q.target.Complete(tag, &q.reqs[tag], cqeRes)
}

// wokenTarget is the target's Woken with a panic turned into a failed request.
func (q *Queue) wokenTarget(tag uint16) (res int32, done bool) {
	defer q.recoverRequest(tag, &res, &done)
	return q.wake.target.Woken(tag, &q.reqs[tag])
}

// recoverRequest runs deferred in handle, complete and wokenTarget. After a panic it makes the
// call report "not done" and answers the tag itself, now or when the tag's last SQE completes
// or its last handoff is woken.
func (q *Queue) recoverRequest(tag uint16, res *int32, done *bool) {
	v := recover()
	if v == nil {
		return
	}
	*res, *done = 0, false
	if q.panics == nil {
		q.panics = &targetPanics{}
	}
	q.panics.record(q.log, q.id, tag, &q.reqs[tag], v)
	ts := &q.tags[tag]
	ts.failed = true
	if ts.idle() {
		q.commitFailed(tag)
	}
}

// commitFailed answers the request of a tag whose target panicked.
func (q *Queue) commitFailed(tag uint16) {
	q.tags[tag].failed = false
	q.commit(tag, -int32(syscall.EIO))
}

// maxPanicSites bounds how many distinct panic sites a device logs with their stacks: a
// target that panics everywhere fills the log with at most this many stacks.
const maxPanicSites = 16

// targetPanics counts the panics the queues of one device recovered and logs the first one of
// each distinct site (the function and line that panicked), so a bug hit by every request
// logs one stack, not one per request.
type targetPanics struct {
	count atomic.Int64
	mu    sync.Mutex
	sites map[string]bool // sites logged so far
}

// Count is how many requests panicked so far.
func (p *targetPanics) Count() int64 { return p.count.Load() }

// record counts a recovered panic and logs it if its site is new. It must run in the deferred
// function that recovered, while the panicking frames are still on the stack.
func (p *targetPanics) record(log *slog.Logger, queue int, tag uint16, req *Request, v any) {
	n := p.count.Add(1)
	site := panicSite()
	if !p.newSite(site) {
		return
	}
	log.Error("target panicked; request answered with EIO, device keeps serving",
		"queue", queue, "tag", tag, "op", req.Op.String(), "offset", req.Offset, "length", req.Length,
		"panic", fmt.Sprint(v), "site", site, "panics", n, "stack", string(debug.Stack()))
}

// newSite reports whether site is to be logged: not seen before and within the bound.
func (p *targetPanics) newSite(site string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sites[site] || len(p.sites) >= maxPanicSites {
		return false
	}
	if p.sites == nil {
		p.sites = make(map[string]bool)
	}
	p.sites[site] = true
	return true
}

// panicSite names the frame that panicked: the first frame below runtime.gopanic that is not
// the runtime's own (index and nil checks panic from runtime helpers).
func panicSite() string {
	var pcs [32]uintptr
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs[:])])
	inPanic := false
	for {
		f, more := frames.Next()
		if f.Function == "runtime.gopanic" {
			inPanic = true
		} else if inPanic && !strings.HasPrefix(f.Function, "runtime.") {
			return fmt.Sprintf("%s (%s:%d)", f.Function, f.File, f.Line)
		}
		if !more {
			return "unknown"
		}
	}
}
