package lsmt

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/dadi-dev/dadi/index"
)

// RWLayer is an append-only writable layer: a data file to whose end every write is appended
// and an index file to which one entry per write (or discard) is appended after the data it
// maps is written. The newest entry for a sector wins.
//
// Crash safety comes from that order. After a SIGKILL the page cache still holds everything
// written; after a power loss everything before the last Flush is durable. Either way a torn
// tail is possible: a partial trailing index entry, or entries whose data never reached the
// data file. Open drops both (Dropped counts them) and, when opened for writing, rewrites the
// index file without them so they cannot come back to life once the data file grows again.
type RWLayer struct {
	dataName, indexName string
	data, idx           *os.File
	Header              Header // of the data file
	writable            bool

	dataEnd atomic.Int64 // byte offset of the next append to the data file
	ix      *index.Mutable

	mu     sync.Mutex // orders index appends and their publication
	idxEnd int64
	segBuf []index.Segment // under mu: the entries of one request
	entBuf []byte          // under mu: the same, encoded

	// Dropped is the number of index entries dropped at open as torn or invalid.
	Dropped int
}

// OpenRW opens a writable layer's data and index files. With writable false nothing is
// changed on disk (a torn tail is dropped in memory only).
func OpenRW(dataPath, indexPath string, writable bool) (*RWLayer, error) {
	flag := os.O_RDONLY
	if writable {
		flag = os.O_RDWR
	}
	data, err := os.OpenFile(dataPath, flag, 0)
	if err != nil {
		return nil, err
	}
	idx, err := os.OpenFile(indexPath, flag, 0)
	if err != nil {
		data.Close()
		return nil, err
	}
	l := &RWLayer{dataName: dataPath, indexName: indexPath, data: data, idx: idx, writable: writable}
	if err := l.load(); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func (l *RWLayer) load() error {
	hb := make([]byte, HeaderSize)
	if err := ReadFull(l.data, l.dataName, hb, 0); err != nil {
		return err
	}
	dh, err := ParseHeader(hb)
	if err != nil {
		return fmt.Errorf("%s: data header: %w", l.dataName, err)
	}
	if dh.Flags&(FlagHeader|FlagDataFile|FlagSealed|FlagSparseRW) != FlagHeader|FlagDataFile {
		return corruptf(l.dataName, "data header flags %#x, want an unsealed append-only data file (0x3)", dh.Flags)
	}
	if err := ReadFull(l.idx, l.indexName, hb, 0); err != nil {
		return err
	}
	ih, err := ParseHeader(hb)
	if err != nil {
		return fmt.Errorf("%s: index header: %w", l.indexName, err)
	}
	if ih.Flags&(FlagHeader|FlagDataFile|FlagSealed) != FlagHeader {
		return corruptf(l.indexName, "index header flags %#x, want an index file (0x1)", ih.Flags)
	}
	if ih.UUID != dh.UUID {
		return corruptf(l.indexName, "uuid %s does not match data file %s (%s)", ih.UUID, l.dataName, dh.UUID)
	}
	l.Header = dh
	dst, err := l.data.Stat()
	if err != nil {
		return err
	}
	ist, err := l.idx.Stat()
	if err != nil {
		return err
	}
	segs, dropped, err := readRWIndex(l.idx, l.indexName, ist.Size(), uint64(dst.Size())/SectorSize, dh.VirtualSize/SectorSize)
	if err != nil {
		return err
	}
	l.Dropped = dropped
	l.ix = index.NewMutable(segs)
	l.idxEnd = HeaderSize + int64(len(segs))*index.EntrySize
	// A torn partial sector at the end of the data file is never referenced; append after it.
	l.dataEnd.Store((dst.Size() + SectorSize - 1) / SectorSize * SectorSize)
	if l.writable && (dropped > 0 || l.idxEnd != ist.Size()) {
		return l.rewriteIndex(hb, segs)
	}
	return nil
}

// parseRWIndex decodes an append-order index. It keeps an entry only if it is whole, not
// padding, non-empty, inside the disk and, unless zeroed, maps data that the data file
// (dataSectors long) really holds and that no earlier entry maps: every write appends fresh
// data, so two entries never share data sectors, and one that does is a garbled tail entry
// (its moffset cut short). Everything else is a torn or garbled entry and is dropped,
// wherever it sits: writes complete out of order, so the entry of an earlier write can
// follow the entry of a later one whose data is already there.
func parseRWIndex(raw []byte, dataSectors, diskSectors uint64) (kept []index.Segment, dropped int) {
	kept, dropped = appendRWEntries(nil, raw, dataSectors, diskSectors)
	if len(raw)%index.EntrySize != 0 {
		dropped++ // a partial trailing entry
	}
	kept, shared := dropSharedData(kept)
	return kept, dropped + shared
}

// readRWIndex is parseRWIndex over the index file (size bytes, header included), read in
// bounded chunks: memory grows with the entries kept, not with the file's size, which for a
// sparse file says nothing about what it holds.
func readRWIndex(f io.ReaderAt, name string, size int64, dataSectors, diskSectors uint64) ([]index.Segment, int, error) {
	const chunk = indexChunkEntries * index.EntrySize
	buf := make([]byte, min(size-HeaderSize, chunk))
	var kept []index.Segment
	dropped := 0
	for off := int64(HeaderSize); off < size; {
		p := buf[:min(size-off, chunk)]
		if err := ReadFull(f, name, p, off); err != nil {
			return nil, 0, err
		}
		var d int
		kept, d = appendRWEntries(kept, p, dataSectors, diskSectors)
		dropped += d
		off += int64(len(p))
	}
	if (size-HeaderSize)%index.EntrySize != 0 {
		dropped++ // a partial trailing entry
	}
	kept, shared := dropSharedData(kept)
	return kept, dropped + shared, nil
}

// appendRWEntries appends the whole entries of raw that pass parseRWIndex's checks to kept.
func appendRWEntries(kept []index.Segment, raw []byte, dataSectors, diskSectors uint64) ([]index.Segment, int) {
	dropped := 0
	for i := 0; i+index.EntrySize <= len(raw); i += index.EntrySize {
		s := index.Decode(raw[i:])
		ok := s.Length() > 0 && s.End() <= diskSectors
		if ok && !s.Zeroed() {
			ok = s.MOffset() >= HeaderSize/SectorSize && s.MOffset()+s.Length() <= dataSectors
		}
		if !ok {
			dropped++
			continue
		}
		kept = append(kept, s.WithTag(0))
	}
	return kept, dropped
}

// dropSharedData drops, of two entries mapping the same data sectors, the later one.
func dropSharedData(segs []index.Segment) ([]index.Segment, int) {
	type ref struct {
		m, end uint64
		i      int
	}
	refs := make([]ref, 0, len(segs))
	for i, s := range segs {
		if !s.Zeroed() {
			refs = append(refs, ref{s.MOffset(), s.MOffset() + s.Length(), i})
		}
	}
	sort.Slice(refs, func(a, b int) bool { return refs[a].m < refs[b].m })
	var bad map[int]bool
	owner := -1
	for k, r := range refs {
		if owner >= 0 && r.m < refs[owner].end {
			if bad == nil {
				bad = map[int]bool{}
			}
			if r.i > refs[owner].i {
				bad[r.i] = true
				continue
			}
			bad[refs[owner].i] = true
		}
		owner = k
	}
	if bad == nil {
		return segs, 0
	}
	out := segs[:0]
	for i, s := range segs {
		if !bad[i] {
			out = append(out, s)
		}
	}
	return out, len(bad)
}

// rewriteIndex replaces the index file with header + kept entries, atomically (write a new
// file, sync it, rename it over the old one, sync the directory).
func (l *RWLayer) rewriteIndex(header []byte, segs []index.Segment) error {
	tmp := l.indexName + ".rewrite"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	buf := make([]byte, len(header)+len(segs)*index.EntrySize)
	copy(buf, header)
	for i, s := range segs {
		s.Encode(buf[HeaderSize+i*index.EntrySize:])
	}
	_, err = f.WriteAt(buf, 0)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, l.indexName)
	}
	if err == nil {
		err = syncDir(filepath.Dir(l.indexName))
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("%s: rewrite without torn entries: %w", l.indexName, err)
	}
	l.idx.Close()
	l.idx = f
	return nil
}

// VirtualSize is the disk size in the data file's header.
func (l *RWLayer) VirtualSize() int64 { return int64(l.Header.VirtualSize) }

// Lookup appends the extents of [offset, offset+length) sectors (Data extents point into the
// data file).
func (l *RWLayer) Lookup(offset, length uint64, dst []index.Extent) []index.Extent {
	return l.ix.Lookup(offset, length, dst)
}

// ReadData reads p from the data file at byte offset off.
func (l *RWLayer) ReadData(p []byte, off int64) error { return ReadFull(l.data, l.dataName, p, off) }

// WriteAt appends p to the data file and records it for disk byte offset off (both multiples
// of 512).
func (l *RWLayer) WriteAt(p []byte, off int64) error {
	if !l.writable {
		return ErrReadOnly
	}
	n := int64(len(p))
	if err := checkLayerRange(l.dataName, off, n, l.VirtualSize()); err != nil || n == 0 {
		return err
	}
	pos := l.dataEnd.Add(n) - n
	if _, err := l.data.WriteAt(p, pos); err != nil {
		return fmt.Errorf("%s: %w", l.dataName, err)
	}
	return l.record(uint64(off)/SectorSize, uint64(n)/SectorSize, uint64(pos)/SectorSize, false)
}

// Zero records [off, off+n) bytes as zeroed: a discard or write-zeroes. No data is written.
func (l *RWLayer) Zero(off, n int64) error {
	if !l.writable {
		return ErrReadOnly
	}
	if err := checkLayerRange(l.dataName, off, n, l.VirtualSize()); err != nil {
		return err
	}
	// overlaybd leaves the data file's end in a zeroed entry's moffset, which readers ignore.
	// dadi writes 0 there: should a crash clear the zeroed bit of a torn entry, what is left
	// maps sector 0 (inside the header) and is dropped as invalid, instead of looking like a
	// mapping of the next write's data.
	return l.record(uint64(off)/SectorSize, uint64(n)/SectorSize, 0, true)
}

// checkLayerRange refuses a write or discard of [off, off+n) bytes that leaves a disk of
// vsize bytes. The Image checks ranges first; this keeps a caller that does not from
// recording entries that reopening would drop, or that index.NewSegment cannot pack (it
// panics). At the device it is an EIO, the error of a request the target cannot do.
func checkLayerRange(name string, off, n, vsize int64) error {
	if off < 0 || n < 0 || off%SectorSize != 0 || n%SectorSize != 0 || n > vsize || off > vsize-n {
		return fmt.Errorf("%s: range [%d, +%d) outside the %d-byte disk: %w", name, off, n, vsize, syscall.EIO)
	}
	return nil
}

// record appends the entries of one request to the index file, then publishes them.
func (l *RWLayer) record(off, n, moff uint64, zeroed bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.segBuf = l.segBuf[:0]
	for n > 0 {
		k := min(n, index.MaxLength)
		l.segBuf = append(l.segBuf, index.NewSegment(off, k, moff, zeroed, 0))
		off, n = off+k, n-k
		if !zeroed {
			moff += k
		}
	}
	need := len(l.segBuf) * index.EntrySize
	if cap(l.entBuf) < need {
		l.entBuf = make([]byte, need)
	}
	l.entBuf = l.entBuf[:need]
	for i, s := range l.segBuf {
		s.Encode(l.entBuf[i*index.EntrySize:])
	}
	if _, err := l.idx.WriteAt(l.entBuf, l.idxEnd); err != nil {
		return fmt.Errorf("%s: %w", l.indexName, err)
	}
	l.idxEnd += int64(need)
	l.ix.Insert(l.segBuf...)
	return nil
}

// Flush makes every completed write durable: data first, then the index that maps it.
func (l *RWLayer) Flush() error {
	if !l.writable {
		return nil
	}
	if err := fdatasync(l.data); err != nil {
		return fmt.Errorf("%s: %w", l.dataName, err)
	}
	if err := fdatasync(l.idx); err != nil {
		return fmt.Errorf("%s: %w", l.indexName, err)
	}
	return nil
}

// Segments returns the current index, sorted (what a commit writes).
func (l *RWLayer) Segments() []index.Segment { return l.ix.Snapshot() }

// DataReader reads the data file (moffsets are sector positions in it).
func (l *RWLayer) DataReader() io.ReaderAt { return l.data }

// Name names the pair in messages.
func (l *RWLayer) Name() string { return l.dataName }

// Close closes both files.
func (l *RWLayer) Close() error {
	err := l.data.Close()
	if e := l.idx.Close(); err == nil {
		err = e
	}
	return err
}
