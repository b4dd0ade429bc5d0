package index

// tree is a static B+tree over the start offsets of a sorted segment array, laid out the way
// CPU caches like it: every node is fanout-1 = 16 keys (two adjacent 64-byte lines, which the
// hardware prefetcher fetches together), nodes of one level are contiguous, and the children
// of node k of a level are nodes k*fanout .. k*fanout+fanout-1 of the level below, so no
// pointers are stored. A search does one node per level (5 levels for a million segments)
// and counts keys in a node without branches, so the CPU never mispredicts and can overlap
// the cache misses of consecutive independent lookups.
//
// Binary search over the same array takes ~20 dependent, mispredicted steps per lookup.
type tree struct {
	keys   []uint64 // all levels, root level first
	levels []int    // start of each level in keys, root first; the last is the leaf level
	n      int      // number of real keys
}

const (
	nodeKeys = 16
	fanout   = nodeKeys + 1
	// keyInf pads partial nodes. It is above every real key (offsets are < 2^50) and below
	// 2^63, which the branch-free count relies on.
	keyInf = 1 << 62
)

// buildTree builds the tree over start offsets, which must be sorted ascending.
func buildTree(starts []uint64) tree {
	n := len(starts)
	// Level sizes in nodes, leaves first.
	sizes := []int{(n + nodeKeys - 1) / nodeKeys}
	for sizes[len(sizes)-1] > 1 {
		sizes = append(sizes, (sizes[len(sizes)-1]+fanout-1)/fanout)
	}
	total := 0
	for _, s := range sizes {
		total += s * nodeKeys
	}
	t := tree{keys: make([]uint64, total), n: n}
	// Root first: levels[0] is the top.
	t.levels = make([]int, len(sizes))
	off := 0
	for i := len(sizes) - 1; i >= 0; i-- {
		t.levels[len(sizes)-1-i] = off
		off += sizes[i] * nodeKeys
	}
	leaf := t.keys[t.levels[len(sizes)-1]:]
	copy(leaf, starts)
	for i := n; i < len(leaf); i++ {
		leaf[i] = keyInf
	}
	// first[k] is the smallest key under node k of the level just built; an internal key j of
	// node k is the smallest key under its child j+1.
	first := make([]uint64, sizes[0])
	for k := range first {
		first[k] = leaf[k*nodeKeys]
	}
	for lv := 1; lv < len(sizes); lv++ {
		base := t.keys[t.levels[len(sizes)-1-lv]:]
		next := make([]uint64, sizes[lv])
		for k := 0; k < sizes[lv]; k++ {
			next[k] = keyInf
			if c := k * fanout; c < len(first) {
				next[k] = first[c]
			}
			for j := 0; j < nodeKeys; j++ {
				c := k*fanout + j + 1
				v := uint64(keyInf)
				if c < len(first) {
					v = first[c]
				}
				base[k*nodeKeys+j] = v
			}
		}
		first = next
	}
	return t
}

// find returns the index of the last key <= x, or -1 when every key is above x.
// The node's 16 keys are compared inline, without branches: keys and y are below 2^63, so
// (k-y)>>63 is 1 exactly when k < y. A helper function would not be inlined, and the call
// would cost as much as the comparisons.
func (t *tree) find(x uint64) int {
	if t.n == 0 {
		return -1
	}
	y := x + 1
	k := 0
	keys := t.keys
	for _, base := range t.levels {
		node := keys[base+k*nodeKeys:]
		node = node[:nodeKeys:nodeKeys]
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
		k = k*fanout + int(c)
	}
	// The leaf level took the k*fanout step like the others; undo it into a key position.
	return k - k/fanout - 1
}
