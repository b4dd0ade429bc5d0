package index

import (
	"math/rand/v2"
	"testing"
)

// benchFind times the search tree alone over n evenly spaced keys.
func benchFind(b *testing.B, n int) {
	starts := make([]uint64, n)
	for i := range starts {
		starts[i] = uint64(i) * 64
	}
	tr := buildTree(starts)
	r := rand.New(rand.NewPCG(1, 2))
	offs := make([]uint64, 1<<16)
	for i := range offs {
		offs[i] = uint64(r.IntN(n * 64))
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		sink += tr.find(offs[i&(1<<16-1)])
	}
}
func BenchmarkFind1K(b *testing.B)  { benchFind(b, 1000) }
func BenchmarkFind64K(b *testing.B) { benchFind(b, 64000) }
func BenchmarkFind1M(b *testing.B)  { benchFind(b, 1000000) }
