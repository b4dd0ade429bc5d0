package uring

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Options shape a new Ring.
type Options struct {
	// Flags must all be honoured (for example SetupSQE128 for ublk control commands).
	Flags uint32
	// Optional flags are tried first and dropped if the kernel refuses them (older kernels
	// lack COOP_TASKRUN and SINGLE_ISSUER; they only make the ring faster).
	Optional uint32
	// CQEntries sets the completion queue size (0: twice the submission queue, the default).
	CQEntries uint32
}

// Ring is one io_uring instance. Its methods must be called from one goroutine at a time.
type Ring struct {
	fd       int
	flags    uint32
	features uint32

	sqMem, cqMem, sqeMem []byte

	sqHead, sqTail, sqFlags *uint32
	sqMask, sqEntries       uint32
	sqArray                 []uint32
	sqeSize                 uintptr
	sqeLocalTail            uint32 // SQEs handed out, not yet published to the kernel

	cqHead, cqTail *uint32
	cqMask         uint32
	cqeBase        []byte
	cqeSize        uintptr
}

// ErrRingFull is returned when no SQE is free; submit first.
var ErrRingFull = errors.New("uring: submission queue full")

// New sets up a ring with room for entries SQEs (rounded up to a power of two by the kernel).
func New(entries uint32, o Options) (*Ring, error) {
	p := params{Flags: o.Flags | o.Optional}
	if o.CQEntries != 0 {
		p.Flags |= SetupCQSize
		p.CQEntries = o.CQEntries
	}
	fd, err := setup(entries, &p)
	if errors.Is(err, unix.EINVAL) && o.Optional != 0 {
		p = params{Flags: o.Flags, CQEntries: p.CQEntries}
		if o.CQEntries != 0 {
			p.Flags |= SetupCQSize
		}
		fd, err = setup(entries, &p)
	}
	if err != nil {
		return nil, fmt.Errorf("io_uring_setup(%d entries, flags %#x): %w", entries, p.Flags, err)
	}
	r := &Ring{fd: fd, flags: p.Flags, features: p.Features}
	if err := r.mapRings(&p); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return r, nil
}

func (r *Ring) mapRings(p *params) error {
	r.sqeSize = 64
	if p.Flags&SetupSQE128 != 0 {
		r.sqeSize = 128
	}
	r.cqeSize = 16
	if p.Flags&SetupCQE32 != 0 {
		r.cqeSize = 32
	}
	sqLen := int(p.SQOff.Array) + int(p.SQEntries)*4
	cqLen := int(p.CQOff.CQEs) + int(p.CQEntries)*int(r.cqeSize)
	if p.Features&FeatSingleMmap != 0 {
		sqLen = max(sqLen, cqLen)
		cqLen = sqLen
	}
	var err error
	prot, flags := unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE
	if r.sqMem, err = unix.Mmap(r.fd, offSQRing, sqLen, prot, flags); err != nil {
		return fmt.Errorf("mmap io_uring SQ ring: %w", err)
	}
	if p.Features&FeatSingleMmap != 0 {
		r.cqMem = r.sqMem
	} else if r.cqMem, err = unix.Mmap(r.fd, offCQRing, cqLen, prot, flags); err != nil {
		r.unmap()
		return fmt.Errorf("mmap io_uring CQ ring: %w", err)
	}
	if r.sqeMem, err = unix.Mmap(r.fd, offSQEs, int(p.SQEntries)*int(r.sqeSize), prot, flags); err != nil {
		r.unmap()
		return fmt.Errorf("mmap io_uring SQEs: %w", err)
	}
	r.bindRings(p)
	return nil
}

func (r *Ring) unmap() {
	if r.sqeMem != nil {
		unix.Munmap(r.sqeMem)
	}
	if r.cqMem != nil && &r.cqMem[0] != &r.sqMem[0] {
		unix.Munmap(r.cqMem)
	}
	if r.sqMem != nil {
		unix.Munmap(r.sqMem)
	}
	r.sqeMem, r.cqMem, r.sqMem = nil, nil, nil
}

// Close unmaps the ring and closes its descriptor. In-flight requests are cancelled by the
// kernel as the ring goes away.
func (r *Ring) Close() error {
	if r.fd < 0 {
		return nil
	}
	r.unmap()
	err := unix.Close(r.fd)
	r.fd = -1
	return err
}

// Fd is the ring's file descriptor.
func (r *Ring) Fd() int { return r.fd }

// Flags are the setup flags the ring runs with (optional ones the kernel refused are absent).
func (r *Ring) Flags() uint32 { return r.flags }

// Features are the IORING_FEAT_* bits the kernel reported.
func (r *Ring) Features() uint32 { return r.features }

// SQEntries is the submission queue size.
func (r *Ring) SQEntries() uint32 { return r.sqEntries }

// GetSQE returns a zeroed SQE to fill, or nil when the submission queue is full. The SQE
// reaches the kernel at the next Submit or SubmitAndWait.
func (r *Ring) GetSQE() *SQE {
	head := atomic.LoadUint32(r.sqHead)
	if r.sqeLocalTail-head >= r.sqEntries {
		return nil
	}
	idx := r.sqeLocalTail & r.sqMask
	r.sqeLocalTail++
	sqe := r.sqeAt(idx)
	r.zeroSQE(idx)
	return sqe
}

// flush publishes the SQEs handed out so far and says how many the kernel has yet to consume.
func (r *Ring) flush() uint32 {
	atomic.StoreUint32(r.sqTail, r.sqeLocalTail)
	return r.sqeLocalTail - atomic.LoadUint32(r.sqHead)
}

// Submit passes the pending SQEs to the kernel without waiting.
func (r *Ring) Submit() (int, error) {
	return r.SubmitAndWait(0)
}

// SubmitAndWait passes pending SQEs to the kernel and waits until at least waitNr completions
// are ready. A signal that interrupts the wait (the Go runtime preempts threads with SIGURG)
// makes it wait again; the submissions are not repeated.
func (r *Ring) SubmitAndWait(waitNr uint32) (int, error) {
	submitted := 0
	for {
		toSubmit := r.flush()
		var flags uint32
		if waitNr > 0 {
			if r.CQReady() >= waitNr {
				waitNr = 0
			} else {
				flags |= enterGetEvents
			}
		}
		if toSubmit == 0 && flags == 0 {
			return submitted, nil
		}
		n, err := enter(r.fd, toSubmit, waitNr, flags)
		if n > 0 {
			submitted += n
		}
		switch {
		case err == nil:
			if waitNr == 0 || r.CQReady() >= waitNr {
				if r.flush() == 0 {
					return submitted, nil
				}
			}
		case errors.Is(err, unix.EINTR):
			// Retried: already consumed SQEs moved the kernel's head, so none is sent twice.
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EBUSY):
			// The kernel is short of memory or the CQ is full: completions must be reaped
			// first. Report what was done so the caller can drain the CQ.
			if submitted > 0 || r.CQReady() > 0 {
				return submitted, nil
			}
			return submitted, fmt.Errorf("io_uring_enter: %w", err)
		default:
			return submitted, fmt.Errorf("io_uring_enter: %w", err)
		}
	}
}

// CQReady is the number of completions waiting to be read.
func (r *Ring) CQReady() uint32 {
	return atomic.LoadUint32(r.cqTail) - atomic.LoadUint32(r.cqHead)
}

// PeekCQE returns the oldest unread completion, or nil. The CQE stays valid until CQAdvance.
func (r *Ring) PeekCQE() *CQE {
	head := atomic.LoadUint32(r.cqHead)
	if head == atomic.LoadUint32(r.cqTail) {
		return nil
	}
	return r.cqeAt(head & r.cqMask)
}

// CQAdvance marks n completions as read, returning their slots to the kernel.
func (r *Ring) CQAdvance(n uint32) {
	atomic.AddUint32(r.cqHead, n)
}

// WaitCQE returns the oldest completion, waiting for one if none is ready.
func (r *Ring) WaitCQE() (*CQE, error) {
	for {
		if c := r.PeekCQE(); c != nil {
			return c, nil
		}
		if _, err := r.SubmitAndWait(1); err != nil {
			return nil, err
		}
	}
}

// RegisterFiles registers fds as fixed files 0..len-1 (use SQEFixedFile and the index as Fd).
func (r *Ring) RegisterFiles(fds []int32) error {
	return r.registerSlice(registerFiles, fds)
}

// UnregisterFiles drops the fixed-file table.
func (r *Ring) UnregisterFiles() error {
	_, err := register(r.fd, unregisterFiles, nil, 0)
	return err
}

// UnregisterBuffers drops the fixed-buffer table.
func (r *Ring) UnregisterBuffers() error {
	_, err := register(r.fd, unregisterBuffers, nil, 0)
	return err
}

func (r *Ring) registerSlice(op uintptr, fds []int32) error {
	if len(fds) == 0 {
		return fmt.Errorf("io_uring_register: empty list: %w", unix.EINVAL)
	}
	_, err := register(r.fd, op, ptrInt32(&fds[0]), uintptr(len(fds)))
	if err != nil {
		return fmt.Errorf("io_uring_register(%d): %w", op, err)
	}
	return nil
}

func setup(entries uint32, p *params) (int, error) {
	fd, err := setupSyscall(entries, p)
	if err != nil {
		return -1, os.NewSyscallError("io_uring_setup", err)
	}
	return fd, nil
}
