package prefetch

import (
	"fmt"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/index"
	"github.com/dadi-dev/dadi/lsmt"
)

// DeviceRead is a read of the image's virtual disk, in bytes, as a block trace records it.
type DeviceRead struct {
	Offset int64
	Length int64
}

// TraceFromReads maps reads of the virtual disk to overlaybd trace records: the bytes of each
// lower layer's blob (compressed blocks and all, tar offset included) that serve them, in the
// order the reads happened. Ranges the upper layer answers, holes and zeroed ranges need no
// blob and give no record. A range already recorded is not recorded again, and a record that
// continues the previous one of the same layer is merged into it (up to TraceMaxIO). A read
// that does not lie inside the disk is an ErrBadTrace error naming it, and gives no records.
func TraceFromReads(img *engine.Image, reads []DeviceRead) ([]TraceRecord, error) {
	size := img.Size()
	for i, r := range reads {
		// Offset first, so that size-Offset cannot wrap.
		if r.Offset < 0 || r.Length < 0 || r.Offset > size || r.Length > size-r.Offset {
			return nil, fmt.Errorf("%w: read %d (%d bytes at %d) lies outside the %d-byte disk", ErrBadTrace, i, r.Length, r.Offset, size)
		}
	}
	m := traceMapper{img: img, seen: make(map[TraceRecord]bool)}
	for _, r := range reads {
		// Inside the disk, checked above: the sums cannot wrap.
		start := r.Offset / lsmt.SectorSize
		end := min((r.Offset+r.Length+lsmt.SectorSize-1)/lsmt.SectorSize, size/lsmt.SectorSize)
		if end <= start {
			continue
		}
		m.device(uint64(start), uint64(end-start))
	}
	m.flush()
	return m.out, nil
}

// traceBatch is how many ranges of the lowers the mapper looks up in one LookupBatch call. A
// trace has thousands of reads spread over the disk: batched, the merged index's cache misses
// overlap instead of following one another.
const traceBatch = 256

type traceMapper struct {
	img     *engine.Image
	seen    map[TraceRecord]bool
	out     []TraceRecord
	up, low []index.Extent
	pend    []index.Range // lowers' ranges not yet looked up, in trace order
	ends    [traceBatch]int
}

// device maps a sector range of the disk: the upper first, the lowers for what it lacks.
func (m *traceMapper) device(sec, n uint64) {
	up := m.img.UpperLayer()
	if up == nil {
		m.lowers(sec, n)
		return
	}
	m.up = up.Lookup(sec, n, m.up[:0])
	for _, e := range m.up {
		if e.Kind == index.Unmapped {
			m.lowers(e.Offset, e.Length)
		}
	}
}

// lowers queues a range of the lowers; flush maps the queue in order, so the records come
// out in the order of the reads.
func (m *traceMapper) lowers(sec, n uint64) {
	m.pend = append(m.pend, index.Range{Offset: sec, Length: n})
	if len(m.pend) == traceBatch {
		m.flush()
	}
}

func (m *traceMapper) flush() {
	m.low = m.img.Merged().LookupBatch(m.pend, m.low[:0], m.ends[:])
	m.pend = m.pend[:0]
	for _, e := range m.low {
		if e.Kind != index.Data {
			continue
		}
		l := m.img.Lowers()[e.Layer]
		off, n := int64(e.MOffset)*lsmt.SectorSize, int64(e.Length)*lsmt.SectorSize
		if l.ZFile != nil {
			off, n = l.ZFile.StoredRange(off, n)
		}
		m.add(uint32(e.Layer), off+l.TarOffset, n)
	}
}

// add appends [off, off+n) of a layer's blob in records of at most TraceMaxIO bytes.
func (m *traceMapper) add(layer uint32, off, n int64) {
	for n > 0 {
		k := min(n, TraceMaxIO)
		// Split at TraceMaxIO boundaries so the same bytes always give the same record.
		if b := (off/TraceMaxIO + 1) * TraceMaxIO; off+k > b {
			k = b - off
		}
		m.one(TraceRecord{Op: TraceRead, Layer: layer, Count: uint64(k), Offset: off})
		off, n = off+k, n-k
	}
}

func (m *traceMapper) one(r TraceRecord) {
	if m.seen[r] {
		return
	}
	m.seen[r] = true
	if k := len(m.out) - 1; k >= 0 {
		p := &m.out[k]
		if p.Layer == r.Layer && p.Offset+int64(p.Count) == r.Offset && p.Count+r.Count <= TraceMaxIO {
			p.Count += r.Count
			return
		}
	}
	m.out = append(m.out, r)
}
