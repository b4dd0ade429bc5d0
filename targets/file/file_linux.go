package file

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/dadi-dev/dadi/ublk"
	"github.com/dadi-dev/dadi/uring"
	"golang.org/x/sys/unix"
)

// Target serves a device from a file or block device.
type Target struct {
	f        *os.File
	size     int64
	direct   bool
	readOnly bool
	isBlock  bool
	// inline is how requests may be served on the queue thread before falling back to the
	// ring (see fileQueue.inline): inlineOff, inlineNoWait or inlineMemory. A queue that finds
	// the file refusing RWF_NOWAIT turns it off.
	inline atomic.Int32
}

const (
	inlineOff    = 0
	inlineNoWait = 1 // buffered file: RWF_NOWAIT copies from the page cache or says EAGAIN
	inlineMemory = 2 // tmpfs: the data is memory, a read or write is a copy that never waits on a device
)

// Open opens path for serving. With readOnly the file is opened read-only and
// writes are refused. It uses O_DIRECT where the file system allows it (no double caching),
// buffered I/O elsewhere.
func Open(path string, readOnly bool) (*Target, error) {
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
	t := &Target{f: f, direct: direct, readOnly: readOnly}
	// With O_DIRECT a synchronous read waits for the device, RWF_NOWAIT or not, so only
	// buffered files try RWF_NOWAIT. tmpfs refuses RWF_NOWAIT and makes io_uring hand every
	// request to a worker thread, yet its reads and writes are plain memory copies: those are
	// done on the queue thread, as the loop driver does them on its own.
	var fs unix.Statfs_t
	switch {
	case unix.Fstatfs(int(f.Fd()), &fs) == nil && fs.Type == unix.TMPFS_MAGIC:
		t.inline.Store(inlineMemory)
	case !direct:
		t.inline.Store(inlineNoWait)
	}
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

func (t *Target) Size() int64  { return t.size }
func (t *Target) Close() error { return t.f.Close() }

// Direct tells whether the file is open with O_DIRECT.
func (t *Target) Direct() bool { return t.direct }

func (t *Target) NewQueue(q ublk.QueueContext) (ublk.QueueTarget, error) {
	return &fileQueue{t: t, q: q, fd: int32(t.f.Fd()), done: make([]uint32, q.Depth())}, nil
}

type fileQueue struct {
	t     *Target
	q     ublk.QueueContext
	fd    int32
	done  []uint32 // bytes finished so far per tag, for short reads and writes
	zeros []byte   // mapped on first need by writeZeroes
}

func (fq *fileQueue) Handle(tag uint16, req *ublk.Request) (int32, bool) {
	fq.done[tag] = 0
	switch req.Op {
	case ublk.OpRead:
		if fq.inline(tag, req) {
			return int32(req.Length), true
		}
		fq.submitRW(tag, req)
	case ublk.OpWrite:
		if fq.t.readOnly {
			return -int32(syscall.EROFS), true
		}
		if fq.inline(tag, req) {
			return int32(req.Length), true
		}
		fq.submitRW(tag, req)
	case ublk.OpFlush:
		fq.q.SQE(tag).PrepFsync(fq.fd, uring.FsyncDatasync)
	case ublk.OpDiscard:
		if fq.t.readOnly {
			return -int32(syscall.EROFS), true
		}
		fq.q.SQE(tag).PrepFallocate(fq.fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, uint64(req.Offset), uint64(req.Length))
	case ublk.OpWriteZeroes:
		if fq.t.readOnly {
			return -int32(syscall.EROFS), true
		}
		fq.q.SQE(tag).PrepFallocate(fq.fd, unix.FALLOC_FL_ZERO_RANGE|unix.FALLOC_FL_KEEP_SIZE, uint64(req.Offset), uint64(req.Length))
	default:
		return -int32(syscall.EOPNOTSUPP), true
	}
	return 0, false
}

// inline tries to finish a read or write at once on the queue thread, where that cannot wait
// on a device: a copy here beats a round trip through an io_uring worker thread, which the
// ring uses for files that cannot do non-blocking I/O. It reports whether the request is
// complete; on EAGAIN, an error or a partial copy the rest goes through the ring.
func (fq *fileQueue) inline(tag uint16, req *ublk.Request) bool {
	mode := fq.t.inline.Load()
	if mode == inlineOff || req.Flags&ublk.IOFFUA != 0 {
		return false
	}
	flags := 0
	if mode == inlineNoWait {
		flags = unix.RWF_NOWAIT
	}
	d := fq.done[tag]
	n, errno := rwv2(req.Op == ublk.OpWrite, fq.fd, req.Buf[d:], req.Offset+int64(d), flags)
	if errno != 0 {
		if errno == unix.EOPNOTSUPP || errno == unix.EINVAL {
			fq.t.inline.Store(inlineOff) // this file refuses it; stop trying
		}
		return false
	}
	fq.done[tag] += uint32(n)
	return fq.done[tag] == req.Length
}

func (fq *fileQueue) submitRW(tag uint16, req *ublk.Request) {
	d := fq.done[tag]
	sqe := fq.q.SQE(tag)
	off := uint64(req.Offset) + uint64(d)
	if req.Op == ublk.OpRead {
		sqe.PrepRead(fq.fd, req.Buf[d:], off)
		return
	}
	sqe.PrepWrite(fq.fd, req.Buf[d:], off)
	if req.Flags&ublk.IOFFUA != 0 {
		sqe.OpFlags = unix.RWF_DSYNC
	}
}

func (fq *fileQueue) Complete(tag uint16, req *ublk.Request, res int32) (int32, bool) {
	switch req.Op {
	case ublk.OpRead, ublk.OpWrite:
		if res < 0 {
			return res, true
		}
		if res == 0 {
			if req.Op == ublk.OpRead {
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
	case ublk.OpDiscard:
		if res == -int32(syscall.EOPNOTSUPP) {
			return 0, true // discard is a hint; a file system without hole punching ignores it
		}
	case ublk.OpWriteZeroes:
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
func (fq *fileQueue) writeZeroes(req *ublk.Request) int32 {
	if fq.zeros == nil {
		// Page-aligned, so it also works on an O_DIRECT file.
		z, err := unix.Mmap(-1, 0, 64<<10, unix.PROT_READ, unix.MAP_ANON|unix.MAP_PRIVATE)
		if err != nil {
			return ublk.Result(err)
		}
		fq.zeros = z
	}
	zeros := fq.zeros
	off, left := req.Offset, int64(req.Length)
	for left > 0 {
		n := min(left, int64(len(zeros)))
		if _, err := fq.t.f.WriteAt(zeros[:n], off); err != nil {
			return ublk.Result(err)
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
