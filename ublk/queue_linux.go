package ublk

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"syscall"

	"github.com/dadi-dev/dadi/uring"
	"golang.org/x/sys/unix"
)

// User data of the queue ring's SQEs: the tag in the low 16 bits and who the completion
// belongs to in the next 8.
const (
	kindIOCmd  = 0
	kindTarget = 1
	kindWake   = 2 // the read of the queue's wake eventfd (wake_linux.go); no tag
	kindShift  = 16
)

// Queue is one hardware queue of a device: a goroutine locked to an OS thread for its whole
// life, owning a ring on which it fetches requests, hands them to the target and commits the
// results. Everything it touches per request is preallocated.
type Queue struct {
	id     int
	depth  int
	maxIO  int
	charFd int
	ioctl  bool
	cpus   unix.CPUSet
	log    *slog.Logger

	ring    *uring.Ring
	descMem []byte
	descs   []ioDesc
	bufMem  []byte
	reqs    []Request
	tags    []tagState
	target  QueueTarget
	panics  *targetPanics // shared by the device's queues; nil in host tests until a panic
	active  int           // tags the kernel holds or the target is serving
	tid     int
	wake    wakeState // how other goroutines wake the queue for a Wakeable target

	committed []int32 // each tag's latest result, kept for host tests and debugging
}

// QueueID is the queue's number.
func (q *Queue) QueueID() int { return q.id }

// Depth is the queue's tag count.
func (q *Queue) Depth() int { return q.depth }

// Ring is the queue's io_uring, for targets that register files or buffers on it.
func (q *Queue) Ring() *uring.Ring { return q.ring }

// SQE returns an SQE on the queue's ring whose completion goes to the target's Complete for
// tag (QueueContext.SQE).
func (q *Queue) SQE(tag uint16) *uring.SQE {
	sqe := q.getSQE()
	sqe.UserData = uint64(tag) | kindTarget<<kindShift
	q.tags[tag].targetSQEs++
	return sqe
}

// Submit hands the prepared SQEs to the kernel now (QueueContext.Submit).
func (q *Queue) Submit() error {
	_, err := q.ring.Submit()
	return err
}

func (q *Queue) getSQE() *uring.SQE {
	for {
		if sqe := q.ring.GetSQE(); sqe != nil {
			return sqe
		}
		// Full: hand what is queued to the kernel, which frees the slots.
		if _, err := q.ring.Submit(); err != nil {
			q.log.Error("queue submit", "queue", q.id, "err", err)
		}
	}
}

// run is the queue goroutine. ready gets nil once every tag's FETCH is queued in the kernel,
// or the setup error.
func (q *Queue) run(target Target, ready chan<- error, done func(error)) {
	// Every io command of this queue must come from this thread, so it is ours for good:
	// the goroutine never unlocks it and the runtime retires the thread when it exits.
	runtime.LockOSThread()
	q.tid = unix.Gettid()
	if err := q.setup(target); err != nil {
		q.teardown()
		ready <- err
		done(err)
		return
	}
	ready <- nil
	err := q.loop()
	q.teardown()
	done(err)
}

func (q *Queue) setup(target Target) error {
	if q.cpus.Count() > 0 {
		if err := unix.SchedSetaffinity(0, &q.cpus); err != nil {
			return fmt.Errorf("queue %d: pin to CPUs %s: %w", q.id, cpuList(&q.cpus), err)
		}
	}
	setThreadName(fmt.Sprintf("dadi-q%d", q.id))
	entries := uint32(2 * q.depth)
	r, err := uring.New(entries, uring.Options{Optional: uring.SetupCoopTaskrun | uring.SetupSingleIssuer})
	if err != nil {
		return fmt.Errorf("queue %d: %w", q.id, err)
	}
	q.ring = r
	if err := r.RegisterFiles([]int32{int32(q.charFd)}); err != nil {
		return fmt.Errorf("queue %d: register /dev/ublkc: %w", q.id, err)
	}
	if err := q.mapMemory(); err != nil {
		return err
	}
	if err := q.attach(target); err != nil {
		return err
	}
	for tag := 0; tag < q.depth; tag++ {
		q.queueIOCmd(ioFetchReq, uint16(tag), 0)
	}
	if _, err := r.Submit(); err != nil {
		return fmt.Errorf("queue %d: submit fetches: %w", q.id, err)
	}
	q.active = q.depth
	q.log.Debug("queue ready", "queue", q.id, "tid", q.tid, "cpus", cpuList(&q.cpus), "depth", q.depth,
		"ring_flags", fmt.Sprintf("%#x", r.Flags()))
	return nil
}

// attach makes the queue's half of target and, for a Wakeable one, the wake eventfd; it
// needs the ring, and is shared by setup and host queues.
func (q *Queue) attach(target Target) error {
	q.reqs = make([]Request, q.depth)
	q.tags = make([]tagState, q.depth)
	q.committed = make([]int32, q.depth)
	qt, err := target.NewQueue(q)
	if err != nil {
		return fmt.Errorf("queue %d: target: %w", q.id, err)
	}
	q.target = qt
	if w, ok := qt.(Wakeable); ok {
		if err := q.wake.setup(q, w); err != nil {
			return fmt.Errorf("queue %d: %w", q.id, err)
		}
	}
	return nil
}

func (q *Queue) mapMemory() error {
	page := os.Getpagesize()
	descLen := roundUp(q.depth*sizeofIODesc, page)
	off := int64(cmdBufOffset + q.id*roundUp(MaxQueueDepth*sizeofIODesc, page))
	mem, err := unix.Mmap(q.charFd, off, descLen, unix.PROT_READ, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("queue %d: mmap io descriptors: %w", q.id, err)
	}
	q.descMem = mem
	q.descs = descSlice(mem, q.depth)
	// Request buffers are mmap'ed, not Go heap: the kernel copies into them from task work
	// while the queue waits, so they must never move or be freed under it.
	q.bufMem, err = unix.Mmap(-1, 0, q.depth*q.maxIO, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return fmt.Errorf("queue %d: mmap %d bytes of I/O buffers: %w", q.id, q.depth*q.maxIO, err)
	}
	return nil
}

func (q *Queue) teardown() {
	if q.target != nil {
		if err := q.target.Close(); err != nil {
			q.log.Warn("queue target close", "queue", q.id, "err", err)
		}
	}
	if q.ring != nil {
		q.ring.Close()
	}
	q.wake.close() // after the ring, which holds the eventfd's pending read
	if q.descMem != nil {
		unix.Munmap(q.descMem)
	}
	if q.bufMem != nil {
		unix.Munmap(q.bufMem)
	}
}

// loop serves requests until the kernel aborts every tag (device stopped or deleted).
func (q *Queue) loop() error {
	for q.active > 0 {
		if _, err := q.ring.SubmitAndWait(1); err != nil {
			return fmt.Errorf("queue %d: %w", q.id, err)
		}
		for c := q.ring.PeekCQE(); c != nil; c = q.ring.PeekCQE() {
			q.handleCQE(c.UserData, c.Res)
			q.ring.CQAdvance(1)
		}
	}
	return nil
}

// handleCQE routes one completion: a fetched request, an aborted tag, target I/O, or a wake.
func (q *Queue) handleCQE(userData uint64, res int32) {
	kind := (userData >> kindShift) & 0xff
	if kind == kindWake {
		q.wake.woken(q, res)
		return
	}
	tag := uint16(userData)
	if int(tag) >= q.depth {
		q.log.Error("completion for unknown tag", "queue", q.id, "user_data", userData)
		return
	}
	if kind == kindTarget {
		ts := &q.tags[tag]
		ts.targetSQEs--
		if ts.failed {
			// The target panicked on this request: its I/O is drained, not handed back to it.
			if ts.idle() {
				q.commitFailed(tag)
			}
			return
		}
		if r, done := q.complete(tag, res); done {
			q.commit(tag, r)
		}
		return
	}
	switch res {
	case ioResOK:
		q.dispatch(tag)
	case ioResAbort:
		q.active--
	default:
		// The kernel refused the command for this tag; it will not come back.
		q.log.Error("io command failed", "queue", q.id, "tag", tag, "err", syscall.Errno(-res))
		q.active--
	}
}

// dispatch decodes tag's descriptor and hands the request to the target.
func (q *Queue) dispatch(tag uint16) {
	d := &q.descs[tag]
	req := &q.reqs[tag]
	req.Op = Op(d.OpFlags & 0xff)
	req.Flags = d.OpFlags &^ 0xff
	req.Offset = int64(d.StartSector) << 9
	req.Length = d.NrSectors << 9
	req.Buf = nil
	switch req.Op {
	case OpRead, OpWrite:
		if int(req.Length) > q.maxIO {
			q.commit(tag, -int32(syscall.EIO))
			return
		}
		base := int(tag) * q.maxIO
		req.Buf = q.bufMem[base : base+int(req.Length)]
	case OpFlush, OpDiscard, OpWriteZeroes:
	default:
		q.commit(tag, -int32(syscall.EOPNOTSUPP))
		return
	}
	if res, done := q.handle(tag, req); done {
		q.commit(tag, res)
	}
}

// commit answers tag with res and asks for its next request in the same command.
func (q *Queue) commit(tag uint16, res int32) {
	q.committed[tag] = res
	q.queueIOCmd(ioCommitAndFetchReq, tag, res)
}

func (q *Queue) queueIOCmd(nr uint32, tag uint16, res int32) {
	sqe := q.getSQE()
	sqe.PrepURingCmd(0, ioOp(nr, q.ioctl)) // fixed file 0 is /dev/ublkcN
	sqe.Flags |= uring.SQEFixedFile
	sqe.UserData = uint64(tag) | kindIOCmd<<kindShift
	cmd := ioCmd{QID: uint16(q.id), Tag: tag, Result: res, Addr: q.bufAddr(tag)}
	putIOCmd(q.ring.Cmd(sqe), &cmd)
}

func roundUp(n, to int) int { return (n + to - 1) / to * to }
