package index

import "testing"

// Inserts do not slow down as the index grows, shown without a clock: the work of an insert
// (inner nodes descended through, nodes copied, entries those copies move) is counted over a window of
// inserts at about 10k, 100k and 1M segments of overlaybd's benchmark workload. A B+tree's
// work grows with its height, log n: from 10k to 1M segments log n grows 1.5x, so each
// figure at 1M must stay within 2.5x of the one at 10k. An index that copied its segment
// array per insert (the old one) would do about 100x the work at 1M.
func TestInsertWorkGrowsWithLogN(t *testing.T) {
	rs := perfRanges(1)
	if testing.Short() {
		rs = rs[:120_000]
	}
	const window = 10_000
	type point struct {
		segs                     int
		visited, copied, entries float64
	}
	var points []point
	m := NewMutable(nil)
	moff := uint64(0)
	next := 0
	for _, at := range []int{10_000, 100_000, len(rs) - window} {
		for ; next < at; next++ {
			m.Insert(NewSegment(rs[next].off, rs[next].n, moff, false, 0))
			moff += rs[next].n
		}
		segs, w0 := m.Len(), m.w.work
		for end := next + window; next < end; next++ {
			m.Insert(NewSegment(rs[next].off, rs[next].n, moff, false, 0))
			moff += rs[next].n
		}
		w := m.w.work
		p := point{segs, float64(w.visited-w0.visited) / window, float64(w.copied-w0.copied) / window,
			float64(w.entries-w0.entries) / window}
		t.Logf("%7d segments: per insert %.2f inner nodes visited, %.2f copied, %.1f entries moved by the copies", p.segs, p.visited, p.copied, p.entries)
		points = append(points, p)
	}
	small, big := points[0], points[len(points)-1]
	if big.segs < 50*small.segs && !testing.Short() {
		t.Fatalf("the index reached only %d segments (from %d)", big.segs, small.segs)
	}
	for _, c := range []struct {
		what     string
		at10k, n float64
	}{{"nodes visited", small.visited, big.visited}, {"nodes copied", small.copied, big.copied}, {"entries copied", small.entries, big.entries}} {
		if c.at10k <= 0 {
			t.Fatalf("%s: none counted at %d segments", c.what, small.segs)
		}
		if c.n > 2.5*c.at10k {
			t.Errorf("%s per insert: %.2f at %d segments, %.2f at %d: more than 2.5x, not O(log n)", c.what, c.at10k, small.segs, c.n, big.segs)
		}
	}
}
