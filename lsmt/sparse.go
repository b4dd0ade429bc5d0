package lsmt

import (
	"fmt"
	"os"
	"sync"

	"github.com/dadi-dev/dadi/index"
)

// SparseLayer is overlaybd's sparse writable layer: one data file (header flags 0x13) in which
// the data of sector s lives at byte HeaderSize + s×512. What is written is found again with
// SEEK_DATA / SEEK_HOLE; an unwritten range is a hole and lets lower layers show through.
//
// A file system allocates whole blocks (4 KiB and up), so after a restart a block partly
// written looks written in full. Over lower layers that would hide their data in the rest of
// the block, so the Image writes whole blocks there (read-modify-write, see image.go).
type SparseLayer struct {
	name     string
	f        *os.File
	Header   Header
	writable bool
	ix       *index.Mutable
	// BlockSize is the file system's allocation unit for the file.
	BlockSize int64
	// rmw serialises read-modify-write cycles (and the writes they could race with).
	rmw sync.Mutex
}

// OpenSparse opens a sparse writable layer's data file.
func OpenSparse(dataPath string, writable bool) (*SparseLayer, error) {
	flag := os.O_RDONLY
	if writable {
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(dataPath, flag, 0)
	if err != nil {
		return nil, err
	}
	l := &SparseLayer{name: dataPath, f: f, writable: writable}
	if err := l.load(); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

func (l *SparseLayer) load() error {
	hb := make([]byte, HeaderSize)
	if err := ReadFull(l.f, l.name, hb, 0); err != nil {
		return err
	}
	h, err := ParseHeader(hb)
	if err != nil {
		return fmt.Errorf("%s: %w", l.name, err)
	}
	if h.Flags&(FlagHeader|FlagDataFile|FlagSealed|FlagSparseRW) != FlagHeader|FlagDataFile|FlagSparseRW {
		return corruptf(l.name, "header flags %#x, want a sparse data file (0x13)", h.Flags)
	}
	l.Header = h
	st, err := l.f.Stat()
	if err != nil {
		return err
	}
	l.BlockSize = blockSize(st)
	end := HeaderSize + int64(h.VirtualSize)
	var segs []index.Segment
	err = dataExtents(l.f, HeaderSize, min(st.Size(), end), func(a, b int64) {
		s, e := uint64(a-HeaderSize)/SectorSize, uint64(b-HeaderSize+SectorSize-1)/SectorSize
		segs = appendRun(segs, s, e-s, false)
	})
	if err != nil {
		return fmt.Errorf("%s: find data: %w", l.name, err)
	}
	l.ix = index.NewMutable(segs)
	return nil
}

// appendRun appends segments for n sectors at off, split at the entry length limit. Data of
// sector s sits at moffset HeaderSize/512 + s.
func appendRun(segs []index.Segment, off, n uint64, zeroed bool) []index.Segment {
	for n > 0 {
		k := min(n, index.MaxLength)
		segs = append(segs, index.NewSegment(off, k, HeaderSize/SectorSize+off, zeroed, 0))
		off, n = off+k, n-k
	}
	return segs
}

func (l *SparseLayer) VirtualSize() int64 { return int64(l.Header.VirtualSize) }

func (l *SparseLayer) Lookup(offset, length uint64, dst []index.Extent) []index.Extent {
	return l.ix.Lookup(offset, length, dst)
}

func (l *SparseLayer) ReadData(p []byte, off int64) error { return ReadFull(l.f, l.name, p, off) }

// WriteAt writes p for disk byte offset off in place.
func (l *SparseLayer) WriteAt(p []byte, off int64) error {
	if !l.writable {
		return ErrReadOnly
	}
	if err := checkLayerRange(l.name, off, int64(len(p)), l.VirtualSize()); err != nil {
		return err
	}
	if _, err := l.f.WriteAt(p, HeaderSize+off); err != nil {
		return fmt.Errorf("%s: %w", l.name, err)
	}
	l.insert(uint64(off)/SectorSize, uint64(len(p))/SectorSize, false)
	return nil
}

// insert publishes a run without allocating for the common (short) case.
func (l *SparseLayer) insert(off, n uint64, zeroed bool) {
	var buf [4]index.Segment
	segs := buf[:0]
	if n > 4*index.MaxLength {
		segs = nil
	}
	l.ix.Insert(appendRun(segs, off, n, zeroed)...)
}

// PunchHole deallocates [off, off+n) bytes of the disk: they read as zeros (from this layer
// alone; lower layers show through after a restart, which is why an Image with lowers zeroes
// by writing instead).
func (l *SparseLayer) PunchHole(off, n int64) error {
	if !l.writable {
		return ErrReadOnly
	}
	if err := checkLayerRange(l.name, off, n, l.VirtualSize()); err != nil {
		return err
	}
	if err := punchHole(l.f, HeaderSize+off, n); err != nil {
		return fmt.Errorf("%s: punch hole: %w", l.name, err)
	}
	l.insert(uint64(off)/SectorSize, uint64(n)/SectorSize, true)
	return nil
}

func (l *SparseLayer) Flush() error {
	if !l.writable {
		return nil
	}
	if err := fdatasync(l.f); err != nil {
		return fmt.Errorf("%s: %w", l.name, err)
	}
	return nil
}

// Segments returns the current index, sorted.
func (l *SparseLayer) Segments() []index.Segment { return l.ix.Snapshot() }

func (l *SparseLayer) Name() string { return l.name }

func (l *SparseLayer) Close() error { return l.f.Close() }

// LockBlocks serialises a read-modify-write of whole blocks (engine.Image's writes over
// lowers) with the other writes that could race with it; UnlockBlocks ends it.
func (l *SparseLayer) LockBlocks() { l.rmw.Lock() }

// UnlockBlocks ends what LockBlocks started.
func (l *SparseLayer) UnlockBlocks() { l.rmw.Unlock() }
