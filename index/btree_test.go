package index

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// checkTree verifies the tree's invariants: sorted, non-overlapping, fully joined segments;
// exact separator keys; no empty or overfull node; leaves all at one depth.
func checkTree(t *testing.T, m *Mutable) {
	t.Helper()
	root := m.root.Load()
	leafDepth := -1
	var prev Segment
	have := false
	var rec func(n *node, depth int, isRoot bool)
	rec = func(n *node, depth int, isRoot bool) {
		if n.size() > n.max() || (!isRoot && n.size() == 0) {
			t.Fatalf("node of size %d at depth %d", n.size(), depth)
		}
		if n.isLeaf() {
			if leafDepth < 0 {
				leafDepth = depth
			} else if depth != leafDepth {
				t.Fatalf("leaves at depths %d and %d", leafDepth, depth)
			}
			for _, s := range n.segs {
				if s.Length() == 0 {
					t.Fatalf("empty segment %v", s)
				}
				if have {
					if s.Offset() < prev.End() {
						t.Fatalf("segments %v %v out of order", prev, s)
					}
					if _, ok := join(prev, s); ok {
						t.Fatalf("segments %v %v should have been joined", prev, s)
					}
				}
				prev, have = s, true
			}
			return
		}
		if len(n.keys) != len(n.kids) {
			t.Fatalf("%d keys for %d children", len(n.keys), len(n.kids))
		}
		for c, k := range n.kids {
			rec(k, depth+1, false)
			if n.keys[c] != k.first() {
				t.Fatalf("key %d is %d, child starts at %d", c, n.keys[c], k.first())
			}
		}
	}
	rec(root, 0, true)
	if leafDepth >= maxHeight {
		t.Fatalf("tree height %d", leafDepth)
	}
}

// TestMutableRandomInserts: 100k random inserts (writes and discards, lengths up to 64
// sectors, some up to 4096) over a 64k-sector disk against a per-sector model, with the
// whole disk looked up and the tree checked periodically.
func TestMutableRandomInserts(t *testing.T) {
	const space = 1 << 16
	n := 100000
	if testing.Short() {
		n = 20000
	}
	r := rand.New(rand.NewPCG(11, 12))
	m := make(model, space)
	mu := NewMutable(nil)
	moff := uint64(8)
	var dst []Extent
	for op := 1; op <= n; op++ {
		ln := uint64(1 + r.IntN(64))
		if r.IntN(200) == 0 {
			ln = uint64(1 + r.IntN(4096))
		}
		off := uint64(r.IntN(int(space - ln)))
		zero := r.IntN(8) == 0
		s := NewSegment(off, ln, moff, zero, 0)
		// Sometimes continue the previous write in the layer file, so joins happen.
		if !zero {
			moff += ln
		}
		m.apply(s)
		mu.Insert(s)
		a := uint64(r.IntN(space - 64))
		dst = mu.Lookup(a, 64, dst[:0])
		m.check(t, dst, a, a+64)
		if op%5000 == 0 {
			m.check(t, mu.Lookup(0, space, dst[:0]), 0, space)
			checkTree(t, mu)
		}
	}
	st := mu.Static()
	m.check(t, st.Lookup(0, space, nil), 0, space)
	t.Logf("%d segments", mu.Len())
}

// TestMutableSequentialAndDiscard: appends in order (every one joins its predecessor), then
// discards that empty whole leaves, then a discard of everything.
func TestMutableSequentialAndDiscard(t *testing.T) {
	const space = 1 << 20
	m := make(model, space)
	mu := NewMutable(nil)
	r := rand.New(rand.NewPCG(3, 3))
	moff := uint64(8)
	for off := uint64(0); off+16 <= space; off += 16 {
		moff += uint64(r.IntN(2)) // breaks joins now and then
		s := NewSegment(off, 16, moff, false, 0)
		moff += 16
		m.apply(s)
		mu.Insert(s)
	}
	checkTree(t, mu)
	for range 200 {
		ln := uint64(1 + r.IntN(MaxLength))
		off := uint64(r.IntN(int(space - ln)))
		s := NewSegment(off, ln, 0, true, 0)
		m.apply(s)
		mu.Insert(s)
	}
	checkTree(t, mu)
	m.check(t, mu.Lookup(0, space, nil), 0, space)
	var all []Segment
	for off := uint64(0); off < space; off += MaxLength {
		all = append(all, NewSegment(off, min(MaxLength, space-off), 0, true, 0))
	}
	mu.Insert(all...)
	for _, s := range all {
		m.apply(s)
	}
	checkTree(t, mu)
	m.check(t, mu.Lookup(0, space, nil), 0, space)
	if n := mu.Len(); n != len(all) {
		t.Fatalf("%d segments after discarding all, want %d", n, len(all))
	}
}

// TestViewKeepsItsVersion: a View taken before a writer's inserts reads exactly the old
// state while the writer goes on (and reuses nodes it may not reuse while the view is open).
func TestViewKeepsItsVersion(t *testing.T) {
	const space = 1 << 15
	r := rand.New(rand.NewPCG(5, 5))
	mu := NewMutable(nil)
	moff := uint64(8)
	for range 5000 {
		mu.Insert(randSeg(r, space, &moff, 0))
	}
	view := mu.View()
	want := view.AppendSegments(nil)
	wantAll := view.Lookup(0, space, nil)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewPCG(6, 6))
		moff := uint64(1 << 30)
		for range 20000 {
			mu.Insert(randSeg(r, space, &moff, 0))
		}
	}()
	var dst []Extent
	for k := 0; k < 200; k++ {
		dst = view.Lookup(0, space, dst[:0])
		if !slices.Equal(dst, wantAll) {
			t.Fatalf("round %d: the view changed under the writer", k)
		}
	}
	wg.Wait()
	if got := view.AppendSegments(nil); !slices.Equal(got, want) {
		t.Fatal("the view's segments changed")
	}
	if slices.Equal(mu.Snapshot(), want) {
		t.Fatal("the writer changed nothing")
	}
	view.Close()
	// With the view closed, nodes are reused again; the index stays right.
	m := make(model, space)
	for _, s := range mu.Snapshot() {
		m.apply(s)
	}
	moff = 1 << 40
	for range 2000 {
		s := randSeg(r, space, &moff, 0)
		m.apply(s)
		mu.Insert(s)
	}
	checkTree(t, mu)
	m.check(t, mu.Lookup(0, space, nil), 0, space)
}

// TestMutableBatchIsAtomic: a reader never sees half of one Insert call. Each call rewrites
// the same two far-apart sectors with one moffset, so a lookup must see them equal.
func TestMutableBatchIsAtomic(t *testing.T) {
	const space = 1 << 16
	mu := NewMutable(nil)
	r := rand.New(rand.NewPCG(8, 8))
	moff := uint64(8)
	for range 20000 { // fill, so the two sectors are in different leaves
		mu.Insert(randSeg(r, space, &moff, 0))
	}
	mu.Insert(NewSegment(10, 1, 1, false, 0), NewSegment(space-10, 1, 1, false, 0))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		var a, b []Extent
		for {
			select {
			case <-stop:
				return
			default:
			}
			v := mu.View()
			a = v.Lookup(10, 1, a[:0])
			b = v.Lookup(space-10, 1, b[:0])
			v.Close()
			if a[0].MOffset != b[0].MOffset {
				t.Errorf("torn batch: %+v vs %+v", a, b)
				return
			}
		}
	}()
	for k := uint64(2); k < 3000; k++ {
		mid := NewSegment(uint64(100+r.IntN(space-300)), 8, k<<20+8, false, 0)
		mu.Insert(NewSegment(10, 1, k<<20, false, 0), mid, NewSegment(space-10, 1, k<<20, false, 0))
	}
	close(stop)
	wg.Wait()
}
