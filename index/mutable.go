package index

import (
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
)

// Mutable is the index of a writable layer. Writers insert segments that split and override
// what they cover; readers look up without ever taking a lock or allocating.
//
// It is a left-right structure (Ramalhete & Correia): two copies of a sorted segment array.
// Readers announce themselves on one of two read indicators and use the copy the atomic
// active pointer names. A writer (serialised by a mutex) changes the idle copy, publishes it,
// waits until no reader can still be on the old copy, then applies the same change to that
// one. Readers are wait-free; writers wait only for lookups already in flight, which take
// microseconds. Unlike a copy-on-write snapshot, nothing is allocated per write (the arrays
// grow by doubling), which keeps the block device's write path allocation-free.
type Mutable struct {
	mu      sync.Mutex // serialises writers
	copies  [2]mutableCopy
	active  atomic.Pointer[mutableCopy]
	version atomic.Uint32
	readers [2]readIndicator
}

// readIndicator is a reader count on its own cache line, so the two do not share one.
type readIndicator struct {
	n atomic.Int64
	_ [56]byte
}

type mutableCopy struct {
	segs []Segment
}

// NewMutable returns a Mutable holding segs, which are applied in order, later ones winning
// (the order of a writable layer's index file).
func NewMutable(segs []Segment) *Mutable {
	m := &Mutable{}
	for _, s := range segs {
		m.copies[0].insert(s)
	}
	m.copies[1].segs = append(make([]Segment, 0, cap(m.copies[0].segs)), m.copies[0].segs...)
	m.active.Store(&m.copies[0])
	return m
}

// read runs f on the current copy. f must not keep the slice.
func (m *Mutable) read(f func(segs []Segment)) {
	v := m.version.Load() & 1
	m.readers[v].n.Add(1)
	f(m.active.Load().segs)
	m.readers[v].n.Add(-1)
}

// Lookup appends to dst the extents covering length sectors at offset (see Static.Lookup).
// Data extents have Layer 0. It never blocks and, with enough room in dst, never allocates.
func (m *Mutable) Lookup(offset, length uint64, dst []Extent) []Extent {
	if length == 0 {
		return dst
	}
	v := m.version.Load() & 1
	m.readers[v].n.Add(1)
	segs := m.active.Load().segs
	dst = appendRange(dst, segs, max(search(segs, offset), 0), offset, offset+length)
	m.readers[v].n.Add(-1)
	return dst
}

// Insert applies segs in order, each overriding what it covers, and publishes them together:
// a reader sees all of them or none.
func (m *Mutable) Insert(segs ...Segment) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.active.Load()
	idle := &m.copies[0]
	if cur == idle {
		idle = &m.copies[1]
	}
	for _, s := range segs {
		idle.insert(s)
	}
	m.active.Store(idle)
	// Move new readers to the other indicator, then wait for both indicators in turn to
	// drain: after that no reader can still hold cur.
	v := m.version.Load() & 1
	waitDrained(&m.readers[1-v])
	m.version.Store(1 - v)
	waitDrained(&m.readers[v])
	for _, s := range segs {
		cur.insert(s)
	}
}

func waitDrained(r *readIndicator) {
	for r.n.Load() != 0 {
		runtime.Gosched()
	}
}

// Snapshot returns a copy of the current segments, sorted and non-overlapping.
func (m *Mutable) Snapshot() []Segment {
	var out []Segment
	m.read(func(segs []Segment) { out = append([]Segment(nil), segs...) })
	return out
}

// Len is the current number of segments.
func (m *Mutable) Len() int {
	var n int
	m.read(func(segs []Segment) { n = len(segs) })
	return n
}

// search returns the index of the last segment starting at or before x, or -1.
func search(segs []Segment, x uint64) int {
	return sort.Search(len(segs), func(i int) bool { return segs[i].Offset() > x }) - 1
}

// insert puts s into the sorted array, cutting away what it covers from older segments and
// joining it to neighbours it continues (same kind, contiguous in the layer file too).
func (c *mutableCopy) insert(s Segment) {
	if s.Length() == 0 {
		return
	}
	a, b := s.Offset(), s.End()
	segs := c.segs
	// [i, j) are the segments that overlap [a, b).
	i := search(segs, a)
	if i < 0 || segs[i].End() <= a {
		i++
	}
	j := i
	for j < len(segs) && segs[j].Offset() < b {
		j++
	}
	var repl [3]Segment
	n := 0
	if i < j && segs[i].Offset() < a {
		repl[n] = segs[i].Slice(segs[i].Offset(), a)
		n++
	}
	repl[n] = s
	n++
	if i < j && segs[j-1].End() > b {
		repl[n] = segs[j-1].Slice(b, segs[j-1].End())
		n++
	}
	// Join pieces that form one run: the remainders with s, and the ends with the untouched
	// neighbours.
	k := 0
	for _, p := range repl[1:n] {
		if jn, ok := join(repl[k], p); ok {
			repl[k] = jn
		} else {
			k++
			repl[k] = p
		}
	}
	n = k + 1
	if i > 0 {
		if jn, ok := join(segs[i-1], repl[0]); ok {
			i--
			repl[0] = jn
		}
	}
	if j < len(segs) {
		if jn, ok := join(repl[n-1], segs[j]); ok {
			j++
			repl[n-1] = jn
		}
	}
	c.segs = splice(segs, i, j, repl[:n])
}

// join merges two adjacent segments when they form one run, within the length limit.
func join(l, r Segment) (Segment, bool) {
	if l.End() != r.Offset() || l.Zeroed() != r.Zeroed() || l.Tag() != r.Tag() || l.Length()+r.Length() > MaxLength {
		return l, false
	}
	if !l.Zeroed() && l.MOffset()+l.Length() != r.MOffset() {
		return l, false
	}
	return NewSegment(l.Offset(), l.Length()+r.Length(), l.MOffset(), l.Zeroed(), l.Tag()), true
}

// splice replaces segs[i:j] with repl in place, growing the array by doubling when needed.
func splice(segs []Segment, i, j int, repl []Segment) []Segment {
	newLen := len(segs) - (j - i) + len(repl)
	if newLen > cap(segs) {
		grown := make([]Segment, len(segs), max(2*cap(segs), newLen, 64))
		copy(grown, segs)
		segs = grown
	}
	tail := len(segs) - j
	segs = segs[:max(newLen, len(segs))]
	copy(segs[i+len(repl):i+len(repl)+tail], segs[j:j+tail])
	copy(segs[i:], repl)
	return segs[:newLen]
}
