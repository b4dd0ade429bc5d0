package index

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// LookupBatch gives, range by range, exactly what Lookup gives: on an empty index, on small
// ones (a short last block, a one-level tree) and on a big fragmented one, for batches shorter
// and longer than batchWidth, with empty ranges and ranges before, across and after every
// segment.
func TestLookupBatchMatchesLookup(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{0, 1, 5, blockSegs, blockSegs + 3, 300, 5000, 70000} {
		segs := make([]Segment, 0, n)
		pos := uint64(r.IntN(100))
		for range n {
			ln := 1 + uint64(r.IntN(64))
			segs = append(segs, NewSegment(pos, ln, pos*3, r.IntN(8) == 0, uint8(r.IntN(4))))
			pos += ln + uint64(r.IntN(3)*r.IntN(40))
		}
		st, err := NewStatic(segs)
		if err != nil {
			t.Fatal(err)
		}
		space := int(pos) + 200
		for _, width := range []int{1, 3, batchWidth, batchWidth + 1, 100} {
			rs := make([]Range, width)
			for i := range rs {
				rs[i] = Range{uint64(r.IntN(space)), uint64(r.IntN(200))}
				if i%7 == 0 {
					rs[i].Length = 0
				}
			}
			ends := make([]int, width)
			head := []Extent{{Offset: 1, Length: 1}} // LookupBatch appends after what dst holds
			got := st.LookupBatch(rs, slices.Clone(head), ends)
			from := len(head)
			for i, x := range rs {
				want := st.Lookup(x.Offset, x.Length, nil)
				if !slices.Equal(got[from:ends[i]], want) {
					t.Fatalf("%d segments, batch of %d, range %d %+v: got %+v, want %+v", n, width, i, x, got[from:ends[i]], want)
				}
				from = ends[i]
			}
			if from != len(got) {
				t.Fatalf("%d segments: ends stop at %d, dst has %d", n, from, len(got))
			}
		}
	}
}

func TestLookupBatchAllocs(t *testing.T) {
	layers, space := benchLayers(20, 2000)
	merged, _ := Merge(layers)
	r := rand.New(rand.NewPCG(1, 1))
	rs := make([]Range, 64)
	ends := make([]int, len(rs))
	dst := make([]Extent, 0, 64*16)
	if n := testing.AllocsPerRun(100, func() {
		for i := range rs {
			rs[i] = Range{uint64(r.IntN(int(space))), 8}
		}
		dst = merged.LookupBatch(rs, dst[:0], ends)
	}); n != 0 {
		t.Fatalf("Static.LookupBatch allocates %v per batch", n)
	}
}
