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
