package index

// Range is a sector range to look up.
type Range struct {
	Offset, Length uint64
}

// batchWidth is how many searches LookupBatch walks side by side. Each level of the tree and
// then the segment blocks cost one cache miss per search; with this many independent misses
// issued back to back, the memory system serves them together (memory-level parallelism), so
// a batch takes little longer than one lookup's misses. 16 stays within the CPU's miss
// buffers and leaves the per-search state in registers and one cache line or two.
const batchWidth = 16

// LookupBatch looks up every range of rs, as Lookup would one at a time, appending their
// extents to dst in the order of rs, and returns the extended slice. ends[i] becomes the
// length of dst after range i's extents, so range i's extents are dst[ends[i-1]:ends[i]]
// (from the length dst had on entry for i = 0). ends must be at least as long as rs. With
// enough room in dst it does not allocate.
//
// It is faster than a loop of Lookup when the index is larger than the CPU's caches: the
// searches of up to batchWidth ranges go down the tree level by level together, so their
// cache misses overlap instead of following one another.
func (s *Static) LookupBatch(rs []Range, dst []Extent, ends []int) []Extent {
	ends = ends[:len(rs)]
	for len(rs) > 0 {
		n := min(len(rs), batchWidth)
		var at [batchWidth]int
		s.searchBatch(rs[:n], &at)
		for j, r := range rs[:n] {
			if r.Length != 0 {
				dst = appendRange(dst, s.segs, max(at[j], 0), r.Offset, r.Offset+r.Length)
			}
			ends[j] = len(dst)
		}
		rs, ends = rs[n:], ends[n:]
	}
	return dst
}

// searchBatch sets at[j] to search(rs[j].Offset) for every j (len(rs) <= batchWidth). Each
// pass first touches what every search needs next, in a loop of independent loads the CPU
// issues without waiting, and then does the comparisons on lines that are arriving or there.
func (s *Static) searchBatch(rs []Range, at *[batchWidth]int) {
	t := &s.t
	if t.n == 0 {
		for j := range rs {
			at[j] = -1
		}
		return
	}
	var k [batchWidth]int
	var touch uint64
	keys := t.keys
	for _, base := range t.levels {
		for j := range rs {
			// A node is two cache lines.
			i := base + k[j]*nodeKeys
			touch += keys[i] + keys[i+nodeKeys/2]
		}
		for j, r := range rs {
			node := keys[base+k[j]*nodeKeys:]
			node = node[:nodeKeys:nodeKeys]
			y := r.Offset + 1
			// As in tree.find.
			c := (node[0] - y) >> 63
			c += (node[1] - y) >> 63
			c += (node[2] - y) >> 63
			c += (node[3] - y) >> 63
			c += (node[4] - y) >> 63
			c += (node[5] - y) >> 63
			c += (node[6] - y) >> 63
			c += (node[7] - y) >> 63
			c += (node[8] - y) >> 63
			c += (node[9] - y) >> 63
			c += (node[10] - y) >> 63
			c += (node[11] - y) >> 63
			c += (node[12] - y) >> 63
			c += (node[13] - y) >> 63
			c += (node[14] - y) >> 63
			c += (node[15] - y) >> 63
			k[j] = k[j]*fanout + int(c)
		}
	}
	segs := s.segs
	for j := range rs {
		// The leaf step's k*fanout undone, as in tree.find: the block, or -1.
		k[j] = k[j] - k[j]/fanout - 1
		if b := k[j] * blockSegs; b >= 0 {
			// A block is four cache lines; touch each (the last block may be short).
			last := len(segs) - 1
			touch += segs[b].lo + segs[min(b+4, last)].lo + segs[min(b+8, last)].lo + segs[min(b+12, last)].lo
		}
	}
	for j, r := range rs {
		at[j] = s.searchBlock(k[j], r.Offset)
	}
	keep(touch)
}

// keep takes the touch loads' sum so the compiler keeps the loads: it drops a load whose value
// is never used, and cannot see that a call it does not inline uses nothing.
//
//go:noinline
func keep(uint64) {}
