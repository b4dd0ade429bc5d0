package index

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Mutable is the index of a writable layer. Writers insert segments that split and override
// what they cover; readers look up without ever taking a lock or allocating.
//
// The segments live in a copy-on-write B+tree (btree.go): a writer (serialised by a mutex)
// copies the nodes it changes, publishes the new root atomically, and readers use whichever
// root they loaded, so a lookup always sees one whole version. An insert costs O(log n) plus
// the segments it touches. Replaced nodes are reused, which keeps the write path free of
// allocations: readers announce themselves on one of two read indicators (the left-right
// technique of Ramalhete & Correia), and after publishing, the writer waits until no reader
// can still be on an older root, which takes as long as the lookups already in flight.
type Mutable struct {
	mu      sync.Mutex // serialises writers; guards w
	w       writer
	root    atomic.Pointer[node]
	version atomic.Uint32
	readers [2]readIndicator
	pins    atomic.Int64 // open Views: while any is open, replaced nodes are kept
}

// readIndicator is a reader count on its own cache line, so the two do not share one.
type readIndicator struct {
	n atomic.Int64
	_ [56]byte
}

// NewMutable returns a Mutable holding segs, which are applied in order, later ones winning
// (the order of a writable layer's index file).
func NewMutable(segs []Segment) *Mutable {
	m := &Mutable{}
	m.w.epoch = 1
	m.w.root = m.w.alloc(0)
	for _, s := range segs {
		if s.Length() != 0 {
			m.w.insert(s)
		}
	}
	m.publish()
	return m
}

// Lookup appends to dst the extents covering length sectors at offset (see Static.Lookup).
// Data extents have Layer 0. It never blocks and, with enough room in dst, never allocates.
func (m *Mutable) Lookup(offset, length uint64, dst []Extent) []Extent {
	if length == 0 {
		return dst
	}
	v := m.version.Load() & 1
	m.readers[v].n.Add(1)
	dst = lookupTree(m.root.Load(), offset, offset+length, dst)
	m.readers[v].n.Add(-1)
	return dst
}

// Insert applies segs in order, each overriding what it covers, and publishes them together:
// a reader sees all of them or none.
func (m *Mutable) Insert(segs ...Segment) {
	m.mu.Lock()
	defer m.mu.Unlock()
	changed := false
	for _, s := range segs {
		if s.Length() != 0 {
			m.w.insert(s)
			changed = true
		}
	}
	if changed {
		m.publish()
	}
}

// publish makes the writer's tree current, waits out the readers of older roots and frees
// the nodes only they could see.
func (m *Mutable) publish() {
	w := &m.w
	m.root.Store(w.root)
	// Move new readers to the other indicator, then wait for both indicators in turn to
	// drain: after that no reader can still hold an older root.
	v := m.version.Load() & 1
	waitDrained(&m.readers[1-v])
	m.version.Store(1 - v)
	waitDrained(&m.readers[v])
	if m.pins.Load() > 0 {
		w.deferred = append(w.deferred, w.retired...)
	} else {
		w.recycle(w.retired)
		w.recycle(w.deferred)
		w.deferred = w.deferred[:0]
	}
	w.retired = w.retired[:0]
	w.epoch++
}

func (w *writer) recycle(ns []*node) {
	for _, n := range ns {
		w.free[kind(n)] = append(w.free[kind(n)], n)
	}
}

func waitDrained(r *readIndicator) {
	for r.n.Load() != 0 {
		runtime.Gosched()
	}
}

// View is one version of a Mutable that stays as it is while writers go on, until Close.
// Commit and Snapshot use it to copy the segments without holding up writers.
type View struct {
	m    *Mutable
	root *node
}

// View returns the current version. It must be closed: until then the writer keeps every
// node it replaces instead of reusing it.
func (m *Mutable) View() *View {
	v := m.version.Load() & 1
	m.readers[v].n.Add(1)
	view := &View{m: m, root: m.root.Load()}
	m.pins.Add(1)
	m.readers[v].n.Add(-1)
	return view
}

// Close releases the view; it must not be used afterwards.
func (v *View) Close() {
	if v.m != nil {
		v.m.pins.Add(-1)
		v.m, v.root = nil, nil
	}
}

// Lookup is Mutable.Lookup on the view's version.
func (v *View) Lookup(offset, length uint64, dst []Extent) []Extent {
	if length == 0 {
		return dst
	}
	return lookupTree(v.root, offset, offset+length, dst)
}

// Len is the number of segments in the view.
func (v *View) Len() int {
	n := 0
	walk(v.root, func(s []Segment) { n += len(s) })
	return n
}

// AppendSegments appends the view's segments, sorted and non-overlapping, to dst.
func (v *View) AppendSegments(dst []Segment) []Segment {
	walk(v.root, func(s []Segment) { dst = append(dst, s...) })
	return dst
}

// Snapshot returns a copy of the current segments, sorted and non-overlapping.
func (m *Mutable) Snapshot() []Segment {
	v := m.View()
	defer v.Close()
	return v.AppendSegments(make([]Segment, 0, v.Len()))
}

// Static returns the current segments as a read-only index.
func (m *Mutable) Static() *Static { return newStatic(m.Snapshot()) }

// Len is the current number of segments.
func (m *Mutable) Len() int {
	v := m.View()
	defer v.Close()
	return v.Len()
}
