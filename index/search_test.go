package index

import (
	"math/rand/v2"
	"sort"
	"testing"
)

func TestTreeFind(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 15, 16, 17, 100, 271, 272, 289, 290, 4913, 5000, 83521, 100000} {
		starts := make([]uint64, n)
		v := uint64(r.IntN(10))
		for i := range starts {
			v += 1 + uint64(r.IntN(20))
			starts[i] = v
		}
		tr := buildTree(starts)
		check := func(x uint64) {
			want := sort.Search(n, func(i int) bool { return starts[i] > x }) - 1
			if got := tr.find(x); got != want {
				t.Fatalf("n=%d find(%d) = %d, want %d", n, x, got, want)
			}
		}
		check(0)
		check(MaxOffset)
		for _, s := range starts {
			check(s)
			check(s - 1)
			check(s + 1)
		}
		for i := 0; i < 1000; i++ {
			check(uint64(r.IntN(int(v + 50))))
		}
	}
}

// TestStaticSearch: the block tree plus the count inside a block find the same segment as a
// binary search, for sizes around block and node boundaries.
func TestStaticSearch(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 271, 272, 273, 4624, 4625, 100000} {
		segs := make([]Segment, n)
		v := uint64(r.IntN(10))
		for i := range segs {
			ln := 1 + uint64(r.IntN(8))
			segs[i] = NewSegment(v, ln, 0, false, 0)
			v += ln + uint64(r.IntN(3))
		}
		st, err := NewStatic(segs)
		if err != nil {
			t.Fatal(err)
		}
		for x := uint64(0); x < v+5; x += 1 + uint64(r.IntN(3)) {
			if got, want := st.search(x), search(segs, x); got != want {
				t.Fatalf("n=%d search(%d) = %d, want %d", n, x, got, want)
			}
		}
		if got, want := st.search(MaxOffset), search(segs, MaxOffset); got != want {
			t.Fatalf("n=%d search(max) = %d, want %d", n, got, want)
		}
	}
}
