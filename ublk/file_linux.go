package ublk

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/dadi-dev/dadi/uring"
	"golang.org/x/sys/unix"
)

// FileTarget serves a device from a file or block device, like the kernel's loop driver. Its
// I/O goes through each queue's own ring, so a queue never blocks a thread on a pread.
type FileTarget struct {
	f        *os.File
	size     int64
	direct   bool
	readOnly bool
	isBlock  bool
}

// OpenFileTarget opens path for serving. With readOnly the file is opened read-only and
// writes are refused. It uses O_DIRECT where the file system allows it (no double caching),
// buffered I/O elsewhere.
func OpenFileTarget(path string, readOnly bool) (*FileTarget, error) {
	flags := os.O_RDWR
	if readOnly {
		flags = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flags|unix.O_DIRECT|syscall.O_CLOEXEC, 0)
	direct := err == nil
	if errors.Is(err, syscall.EINVAL) {
		f, err = os.OpenFile(path, flags|syscall.O_CLOEXEC, 0)
	}
	if err != nil {
		if !readOnly && (errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS)) {
			return nil, fmt.Errorf("backing file %s is read-only and writes were requested (use --read-only): %w", path, err)
		}
		return nil, fmt.Errorf("backing file: %w", err)
	}
	t := &FileTarget{f: f, direct: direct, readOnly: readOnly}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	switch {
	case st.Mode().IsRegular():
		t.size = st.Size()
	case st.Mode()&os.ModeDevice != 0 && st.Mode()&os.ModeCharDevice == 0:
		t.isBlock = true
		sz, err := unix.IoctlGetUint64(int(f.Fd()), unix.BLKGETSIZE64)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("size of %s: %w", path, err)
		}
		t.size = int64(sz)
	default:
		f.Close()
		return nil, fmt.Errorf("backing file %s: not a regular file or block device", path)
	}
	return t, nil
}

func (t *FileTarget) Size() int64  { return t.size }
func (t *FileTarget) Close() error { return t.f.Close() }

// Direct tells whether the file is open with O_DIRECT.
func (t *FileTarget) Direct() bool { return t.direct }

func (t *FileTarget) NewQueue(q QueueContext) (QueueTarget, error) {
	sq, ok := q.(sqeSource)
	if !ok {
		return nil, errors.New("file target needs a queue with a ring")
	}
	return &fileQueue{t: t, q: sq, fd: int32(t.f.Fd()), done: make([]uint32, q.Depth())}, nil
}

// sqeSource is the part of *Queue the file target uses.
type sqeSource interface {
	TargetSQE(tag uint16) *uring.SQE
}

type fileQueue struct {
	t     *FileTarget
	q     sqeSource
	fd    int32
	done  []uint32 // bytes finished so far per tag, for short reads and writes
	zeros []byte   // mapped on first need by writeZeroes
}

func (fq *fileQueue) Handle(tag uint16, req *Request) (int32, bool) {
	fq.done[tag] = 0
	switch req.Op {
	case OpRead:
		fq.submitRW(tag, req)
	case OpWrite:
		if fq.t.readOnly {
			return -int32(syscall.EROFS), true
		}
		fq.submitRW(tag, req)
	case OpFlush:
		fq.q.TargetSQE(tag).PrepFsync(fq.fd, uring.FsyncDatasync)
	case OpDiscard:
		if fq.t.readOnly {
			return -int32(syscall.EROFS), true
		}
		fq.q.TargetSQE(tag).PrepFallocate(fq.fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, uint64(req.Offset), uint64(req.Length))
	case OpWriteZeroes:
		if fq.t.readOnly {
			return -int32(syscall.EROFS), true
		}
		fq.q.TargetSQE(tag).PrepFallocate(fq.fd, unix.FALLOC_FL_ZERO_RANGE|unix.FALLOC_FL_KEEP_SIZE, uint64(req.Offset), uint64(req.Length))
	default:
		return -int32(syscall.EOPNOTSUPP), true
	}
	return 0, false
}

func (fq *fileQueue) submitRW(tag uint16, req *Request) {
	d := fq.done[tag]
	sqe := fq.q.TargetSQE(tag)
	off := uint64(req.Offset) + uint64(d)
	if req.Op == OpRead {
		sqe.PrepRead(fq.fd, req.Buf[d:], off)
		return
	}
	sqe.PrepWrite(fq.fd, req.Buf[d:], off)
	if req.Flags&IOFFUA != 0 {
		sqe.OpFlags = unix.RWF_DSYNC
	}
}

func (fq *fileQueue) Complete(tag uint16, req *Request, res int32) (int32, bool) {
	switch req.Op {
	case OpRead, OpWrite:
		if res < 0 {
			return res, true
		}
		if res == 0 {
			if req.Op == OpRead {
				// Past the end of a file that shrank under us: the rest reads as zeros.
				clear(req.Buf[fq.done[tag]:])
				return int32(req.Length), true
			}
			return -int32(syscall.EIO), true
		}
		fq.done[tag] += uint32(res)
		if fq.done[tag] < req.Length {
			fq.submitRW(tag, req)
			return 0, false
		}
		return int32(req.Length), true
	case OpDiscard:
		if res == -int32(syscall.EOPNOTSUPP) {
			return 0, true // discard is a hint; a file system without hole punching ignores it
		}
	case OpWriteZeroes:
		if res == -int32(syscall.EOPNOTSUPP) {
			return fq.writeZeroes(req), true
		}
	}
	if res > 0 {
		res = 0
	}
	return res, true
}

// writeZeroes is the slow path for file systems without FALLOC_FL_ZERO_RANGE.
func (fq *fileQueue) writeZeroes(req *Request) int32 {
	if fq.zeros == nil {
		// Page-aligned, so it also works on an O_DIRECT file.
		z, err := unix.Mmap(-1, 0, 64<<10, unix.PROT_READ, unix.MAP_ANON|unix.MAP_PRIVATE)
		if err != nil {
			return Result(err)
		}
		fq.zeros = z
	}
	zeros := fq.zeros
	off, left := req.Offset, int64(req.Length)
	for left > 0 {
		n := min(left, int64(len(zeros)))
		if _, err := fq.t.f.WriteAt(zeros[:n], off); err != nil {
			return Result(err)
		}
		off += n
		left -= n
	}
	return 0
}

func (fq *fileQueue) Close() error {
	if fq.zeros != nil {
		return unix.Munmap(fq.zeros)
	}
	return nil
}
