package heatmap

import (
	"math"
	"testing"
)

// TestSpreadEdges: ranges that end at the top of int64 land in the last slice, and every byte
// is counted once (the old (span+n-1)/n step wrapped negative there).
func TestSpreadEdges(t *testing.T) {
	for _, c := range []struct{ span, n, off, end int64 }{
		{math.MaxInt64, 16, math.MaxInt64 - 4096, math.MaxInt64},
		{math.MaxInt64, 1, 0, math.MaxInt64},
		{math.MaxInt64, 4096, 0, 1 << 20},
		{100, 7, 0, 100},
		{1, 16, 0, 1},
	} {
		heat := make([]uint64, c.n)
		step := Step(c.span, c.n)
		if step <= 0 {
			t.Fatalf("%+v: step %d", c, step)
		}
		Spread(heat, step, c.off, c.end)
		var sum uint64
		for _, v := range heat {
			sum += v
		}
		if sum != uint64(c.end-c.off) {
			t.Errorf("%+v: %d bytes in the map, want %d", c, sum, c.end-c.off)
		}
	}
}
