package ublk

import (
	"log/slog"

	"github.com/dadi-dev/dadi/uring"
	"golang.org/x/sys/unix"
)

// HostQueue is a queue without a ublk device, for testing targets on any Linux host (no root,
// no ublk module): a real io_uring and real I/O buffers, and the queue's own dispatch,
// completion, wake and panic paths, fed requests by the caller instead of the kernel. The
// commit each request ends with is a command for /dev/ublkcN, which this ring does not have;
// it fails there, and the host queue takes that completion as "committed" and reports the
// result the queue put in the command. Like a queue, a HostQueue is used from one goroutine.
type HostQueue struct{ q *Queue }

// NewHostQueue makes a host queue of depth tags with maxIO-byte buffers serving target.
func NewHostQueue(target Target, depth, maxIO int, log *slog.Logger) (*HostQueue, error) {
	r, err := uring.New(uint32(2*depth), uring.Options{})
	if err != nil {
		return nil, err
	}
	q := &Queue{depth: depth, maxIO: maxIO, ring: r, descs: make([]ioDesc, depth), log: log, active: depth}
	if q.bufMem, err = unix.Mmap(-1, 0, depth*maxIO, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE); err != nil {
		q.teardown()
		return nil, err
	}
	if err := q.attach(target); err != nil {
		q.teardown()
		return nil, err
	}
	return &HostQueue{q: q}, nil
}

// Start hands tag a request as the kernel's fetch would, without waiting for its result.
func (h *HostQueue) Start(tag uint16, op Op, off int64, length uint32) {
	h.q.descs[tag] = ioDesc{OpFlags: uint32(op), NrSectors: length >> 9, StartSector: uint64(off >> 9)}
	h.q.handleCQE(uint64(tag), ioResOK)
}

// Wait runs the queue (submits, waits, routes completions and wakes) until a tag commits, and
// returns that tag and its result.
func (h *HostQueue) Wait() (tag uint16, res int32, err error) {
	q := h.q
	for {
		if _, err := q.ring.SubmitAndWait(1); err != nil {
			return 0, 0, err
		}
		for c := q.ring.PeekCQE(); c != nil; c = q.ring.PeekCQE() {
			ud, cres := c.UserData, c.Res
			q.ring.CQAdvance(1)
			if (ud>>kindShift)&0xff != kindIOCmd {
				q.handleCQE(ud, cres)
				continue
			}
			tag := uint16(ud)
			return tag, q.committed[tag], nil
		}
	}
}

// Serve runs one request for tag to its commit and returns the result. No other request may
// be in flight.
func (h *HostQueue) Serve(tag uint16, op Op, off int64, length uint32) (int32, error) {
	h.Start(tag, op, off, length)
	_, res, err := h.Wait()
	return res, err
}

// Buf is tag's whole I/O buffer: a read's data lands at its start, a write's is taken from it.
func (h *HostQueue) Buf(tag uint16) []byte {
	return h.q.bufMem[int(tag)*h.q.maxIO : (int(tag)+1)*h.q.maxIO]
}

// TargetPanics is how many requests panicked in the target and were answered with EIO.
func (h *HostQueue) TargetPanics() int64 {
	if h.q.panics == nil {
		return 0
	}
	return h.q.panics.Count()
}

// Close closes the queue's target and frees the ring and buffers.
func (h *HostQueue) Close() { h.q.teardown() }
