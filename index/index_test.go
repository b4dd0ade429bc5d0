package index

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
)

// model is a per-sector picture of an index: what each sector maps to.
type cell struct {
	kind  Kind
	layer uint8
	moff  uint64
}

type model []cell

func (m model) apply(s Segment) {
	for x := s.Offset(); x < s.End(); x++ {
		c := cell{kind: Zero, layer: s.Tag()}
		if !s.Zeroed() {
			c.kind = Data
			c.moff = s.MOffset() + x - s.Offset()
		}
		m[x] = c
	}
}

// check compares a lookup result with the model sector by sector, and checks its shape.
func (m model) check(t *testing.T, got []Extent, from, to uint64) {
	t.Helper()
	pos := from
	for _, e := range got {
		if e.Offset != pos || e.Length == 0 {
			t.Fatalf("extent %+v: want offset %d, non-empty (all: %+v)", e, pos, got)
		}
		for x := e.Offset; x < e.End(); x++ {
			c := m[x]
			want := cell{kind: e.Kind}
			if e.Kind != Unmapped {
				want.layer = e.Layer
			}
			if e.Kind == Data {
				want.moff = e.MOffset + x - e.Offset
			}
			if c != want {
				t.Fatalf("sector %d: extent %+v, model %+v", x, e, c)
			}
		}
		pos = e.End()
	}
	if pos != to {
		t.Fatalf("lookup [%d,%d) ended at %d: %+v", from, to, pos, got)
	}
}

func randSeg(r *rand.Rand, space uint64, moff *uint64, tag uint8) Segment {
	n := 1 + uint64(r.IntN(64))
	off := uint64(r.IntN(int(space - n)))
	zero := r.IntN(5) == 0
	s := NewSegment(off, n, *moff, zero, tag)
	if !zero {
		*moff += n
	}
	return s
}

func TestMutableAgainstModel(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		r := rand.New(rand.NewPCG(seed, 9))
		const space = 4096
		m := make(model, space)
		mu := NewMutable(nil)
		moff := uint64(8)
		var dst []Extent
		for op := 0; op < 3000; op++ {
			s := randSeg(r, space, &moff, 0)
			m.apply(s)
			mu.Insert(s)
			a := uint64(r.IntN(space))
			b := a + uint64(r.IntN(int(space-a))) + 1
			if b > space {
				b = space
			}
			dst = mu.Lookup(a, b-a, dst[:0])
			m.check(t, dst, a, b)
		}
		// The array stays sorted, non-overlapping, and joined where it can be.
		segs := mu.Snapshot()
		if _, err := NewStatic(segs); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(segs); i++ {
			if _, ok := join(segs[i-1], segs[i]); ok {
				t.Fatalf("segments %v %v should have been joined", segs[i-1], segs[i])
			}
		}
		st, _ := NewStatic(segs)
		m.check(t, st.Lookup(0, space, nil), 0, space)
	}
}

func TestMergeAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const space = 8192
	for _, nl := range []int{1, 2, 3, 7, 20} {
		m := make(model, space)
		var layers []*Static
		for l := 0; l < nl; l++ {
			mu := NewMutable(nil)
			moff := uint64(8)
			for k := 0; k < 200; k++ {
				mu.Insert(randSeg(r, space, &moff, 0))
			}
			segs := mu.Snapshot()
			for _, s := range segs {
				m.apply(s.WithTag(uint8(l)))
			}
			st, err := NewStatic(segs)
			if err != nil {
				t.Fatal(err)
			}
			layers = append(layers, st)
		}
		merged, err := Merge(layers)
		if err != nil {
			t.Fatal(err)
		}
		m.check(t, merged.Lookup(0, space, nil), 0, space)
		for k := 0; k < 2000; k++ {
			a := uint64(r.IntN(space - 16))
			m.check(t, merged.Lookup(a, 16, nil), a, a+16)
		}
	}
}

func TestMergeTooManyLayers(t *testing.T) {
	layers := make([]*Static, 256)
	for i := range layers {
		layers[i] = newStatic(nil)
	}
	if _, err := Merge(layers); err == nil {
		t.Fatal("256 layers merged")
	}
	if _, err := Merge(layers[:255]); err != nil {
		t.Fatal(err)
	}
}

func TestNewStaticRejects(t *testing.T) {
	for name, segs := range map[string][]Segment{
		"length 0":  {NewSegment(0, 8, 8, false, 0), NewSegment(10, 0, 8, false, 0)},
		"unsorted":  {NewSegment(10, 8, 8, false, 0), NewSegment(0, 8, 16, false, 0)},
		"overlap":   {NewSegment(0, 8, 8, false, 0), NewSegment(7, 8, 16, false, 0)},
		"duplicate": {NewSegment(0, 8, 8, false, 0), NewSegment(0, 8, 16, false, 0)},
	} {
		if _, err := NewStatic(segs); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSegmentPacking(t *testing.T) {
	s := NewSegment(MaxOffset-5, MaxLength, MaxMOffset, true, 254)
	var b [16]byte
	s.Encode(b[:])
	d := Decode(b[:])
	if d != s || d.Offset() != MaxOffset-5 || d.Length() != MaxLength || d.MOffset() != MaxMOffset || !d.Zeroed() || d.Tag() != 254 {
		t.Fatalf("round trip: %v", d)
	}
	var p [16]byte
	Padding.Encode(p[:])
	if Decode(p[:]) != Padding || !Padding.IsPadding() {
		t.Fatal("padding")
	}
}

// TestMutableConcurrent runs lookups against inserts; under -race it also proves readers and
// writers share no unsynchronised memory. Every lookup must see a consistent array: each
// sector maps to exactly one extent.
func TestMutableConcurrent(t *testing.T) {
	mu := NewMutable(nil)
	const space = 1 << 14
	var stop atomic.Bool
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			dst := make([]Extent, 0, 64)
			for !stop.Load() {
				a := uint64(r.IntN(space - 64))
				dst = mu.Lookup(a, 64, dst[:0])
				pos := a
				for _, e := range dst {
					if e.Offset != pos {
						t.Errorf("torn lookup %+v", dst)
						return
					}
					pos = e.End()
				}
				if pos != a+64 {
					t.Errorf("short lookup %+v", dst)
					return
				}
			}
		}(g)
	}
	r := rand.New(rand.NewPCG(7, 7))
	moff := uint64(8)
	for i := 0; i < 5000; i++ {
		mu.Insert(randSeg(r, space, &moff, 0))
	}
	stop.Store(true)
	wg.Wait()
}

func TestLookupAllocs(t *testing.T) {
	layers, _ := benchLayers(20, 2000)
	merged, _ := Merge(layers)
	dst := make([]Extent, 0, 64)
	r := rand.New(rand.NewPCG(1, 1))
	if n := testing.AllocsPerRun(1000, func() {
		dst = merged.Lookup(uint64(r.IntN(1<<20)), 8, dst[:0])
	}); n != 0 {
		t.Fatalf("Static.Lookup allocates %v per run", n)
	}
	mu := NewMutable(merged.Segments())
	if n := testing.AllocsPerRun(1000, func() {
		dst = mu.Lookup(uint64(r.IntN(1<<20)), 8, dst[:0])
	}); n != 0 {
		t.Fatalf("Mutable.Lookup allocates %v per run", n)
	}
	moff := uint64(1 << 30)
	if n := testing.AllocsPerRun(1000, func() {
		mu.Insert(NewSegment(uint64(r.IntN(1<<20)), 8, moff, false, 0))
		moff += 8
	}); n != 0 {
		t.Fatalf("Mutable.Insert allocates %v per run", n)
	}
}
