package index

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// benchLayers makes n layers of random 4 KiB-multiple segments over a disk sized so that the
// merged stack has about n*per segments (a sparse, fragmented image: the hard case).
func benchLayers(n, per int) ([]*Static, uint64) {
	r := rand.New(rand.NewPCG(42, uint64(n)))
	space := uint64(n*per) * 64 // sectors; ~1/4 of the disk mapped
	layers := make([]*Static, n)
	for l := range layers {
		offs := make([]uint64, per)
		for i := range offs {
			offs[i] = uint64(r.IntN(int(space/8))) * 8
		}
		sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
		segs := make([]Segment, 0, per)
		moff := uint64(8)
		var end uint64
		for _, o := range offs {
			if o < end {
				continue
			}
			ln := uint64(8 * (1 + r.IntN(4)))
			segs = append(segs, NewSegment(o, ln, moff, r.IntN(50) == 0, 0))
			moff += ln
			end = o + ln
		}
		layers[l], _ = NewStatic(segs)
	}
	return layers, space
}

var sink int

// BenchmarkLookup4K: random 4 KiB lookups (search + extents into a reused slice) on a merged
// index of ~1M segments from 20 layers, one goroutine.
func BenchmarkLookup4K(b *testing.B) {
	layers, space := benchLayers(20, 60000)
	t0 := time.Now()
	merged, err := Merge(layers)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("merged %d segments from 20 layers in %v", merged.Len(), time.Since(t0))
	offs := randOffsets(space)
	dst := make([]Extent, 0, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		dst = merged.Lookup(offs[i&(len(offs)-1)], 8, dst[:0])
		sink += len(dst)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mlookups/s")
}

// BenchmarkSearch is the search tree alone: sector -> segment number.
func BenchmarkSearch(b *testing.B) {
	layers, space := benchLayers(20, 60000)
	merged, _ := Merge(layers)
	offs := randOffsets(space)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		sink += merged.search(offs[i&(len(offs)-1)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mlookups/s")
}

// BenchmarkBinarySearch is the baseline: sort.Search over the same segments.
func BenchmarkBinarySearch(b *testing.B) {
	layers, space := benchLayers(20, 60000)
	merged, _ := Merge(layers)
	segs := merged.segs
	offs := randOffsets(space)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		sink += search(segs, offs[i&(len(offs)-1)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mlookups/s")
}

func BenchmarkMerge20(b *testing.B) {
	layers, _ := benchLayers(20, 60000)
	for b.Loop() {
		m, _ := Merge(layers)
		sink += m.Len()
	}
}

func BenchmarkMutableInsert(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	mu := NewMutable(nil)
	moff := uint64(8)
	b.ReportAllocs()
	for b.Loop() {
		mu.Insert(NewSegment(uint64(r.IntN(1<<24))*8, 8, moff, false, 0))
		moff += 8
	}
}

func randOffsets(space uint64) []uint64 {
	r := rand.New(rand.NewPCG(5, 6))
	offs := make([]uint64, 1<<20)
	for i := range offs {
		offs[i] = uint64(r.IntN(int(space/8-1))) * 8
	}
	return offs
}

// search returns the index of the last segment starting at or before x, or -1.
func search(segs []Segment, x uint64) int {
	return sort.Search(len(segs), func(i int) bool { return segs[i].Offset() > x }) - 1
}
