package index

// The Mutable's segments live in a B+tree whose nodes are never changed once readers can see
// them: a writer copies the nodes on the path it edits (copy-on-write), edits the copies in
// place for the rest of its batch, and publishes a new root. An insert therefore costs one
// descent plus copying the few nodes on its path (about 4 KiB at a million segments), not
// the whole array. Replaced nodes return to a free list once no reader can hold them
// (mutable.go), so the write path allocates nothing in steady state.

const (
	leafMax = 128         // segments in a leaf (2 KiB); a bigger leaf is split
	leafCap = leafMax + 4 // an edit adds at most 3 segments before the split
	// innerMax children per inner node (1 KiB of keys and pointers); a bigger one is split.
	innerMax = 64
	innerCap = innerMax + 2
	// maxHeight bounds a path. A node that falls under a quarter full merges with a sibling
	// when the two fit, so nodes average well over an eighth full and a tree this tall would
	// hold more than 8^30 segments.
	maxHeight = 32
)

// node is a leaf (kids == nil, segs sorted and non-overlapping) or an inner node, where
// keys[c] is the offset of the first segment under kids[c].
type node struct {
	epoch uint64 // the writer batch that created the node; only that batch may change it
	segs  []Segment
	keys  []uint64
	kids  []*node
}

func (n *node) isLeaf() bool { return n.kids == nil }

func (n *node) size() int {
	if n.isLeaf() {
		return len(n.segs)
	}
	return len(n.kids)
}

func (n *node) max() int {
	if n.isLeaf() {
		return leafMax
	}
	return innerMax
}

// first is the offset of the first segment under n, which must not be empty.
func (n *node) first() uint64 {
	if n.isLeaf() {
		return n.segs[0].Offset()
	}
	return n.keys[0]
}

// childFor returns the child of inner node n that holds the last segment starting at or
// before x (child 0 when there is none).
func childFor(keys []uint64, x uint64) int {
	lo, hi := 1, len(keys) // the answer is in [lo-1, hi-1]
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if keys[mid] <= x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo - 1
}

// searchLeaf returns the index of the last segment starting at or before x, or -1.
func searchLeaf(segs []Segment, x uint64) int {
	lo, hi := 0, len(segs)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if segs[mid].Offset() <= x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo - 1
}

// step is one inner node of a path and the child taken from it.
type step struct {
	n *node
	c int
}

// path is a root-to-leaf descent: s[:d] are the inner nodes, leaf the end.
type path struct {
	s    [maxHeight]step
	d    int
	leaf *node
}

// leftmost and rightmost report whether the path's leaf is the first or last of the tree.
func (p *path) leftmost() bool {
	for _, st := range p.s[:p.d] {
		if st.c != 0 {
			return false
		}
	}
	return true
}

func (p *path) rightmost() bool {
	for _, st := range p.s[:p.d] {
		if st.c != len(st.n.kids)-1 {
			return false
		}
	}
	return true
}

// writer is the state only the (serialised) writer touches.
type writer struct {
	epoch    uint64
	root     *node      // the tree being edited; published at the end of a batch
	free     [2][]*node // reusable nodes: [0] leaves, [1] inner nodes
	retired  []*node    // published nodes replaced in this batch
	deferred []*node    // retired while a View held an older root
	made     int        // nodes allocated so far, to size the next slab
	work     insertWork // what the inserts cost so far; tests read it
}

// insertWork counts an insert's work, so tests can show it grows with log n and not with n
// without timing anything.
type insertWork struct {
	visited int // inner nodes descended through
	copied  int // published nodes copied before a change (copy-on-write)
	entries int // segments, or keys and children, those copies moved
}

func kind(n *node) int {
	if n.isLeaf() {
		return 0
	}
	return 1
}

// alloc returns an empty node of the given kind that the current batch owns. Nodes come in
// slabs, so growing the tree costs a fraction of an allocation per node.
func (w *writer) alloc(k int) *node {
	f := w.free[k]
	if len(f) == 0 {
		n := min(max(16, w.made/8), 1024)
		w.made += n
		slab := make([]node, n)
		if k == 0 {
			segs := make([]Segment, n*leafCap)
			for i := range slab {
				slab[i].segs = segs[i*leafCap : i*leafCap : (i+1)*leafCap]
			}
		} else {
			keys := make([]uint64, n*innerCap)
			kids := make([]*node, n*innerCap)
			for i := range slab {
				slab[i].keys = keys[i*innerCap : i*innerCap : (i+1)*innerCap]
				slab[i].kids = kids[i*innerCap : i*innerCap : (i+1)*innerCap]
			}
		}
		for i := range slab {
			f = append(f, &slab[i])
		}
	}
	n := f[len(f)-1]
	w.free[k] = f[:len(f)-1]
	n.epoch = w.epoch
	n.segs = n.segs[:0]
	n.keys = n.keys[:0]
	if k == 1 {
		n.kids = n.kids[:0]
	}
	return n
}

// own returns n itself when this batch made it, else a copy this batch may change (and n is
// retired).
func (w *writer) own(n *node) *node {
	if n.epoch == w.epoch {
		return n
	}
	c := w.alloc(kind(n))
	w.work.copied++
	w.work.entries += n.size()
	c.segs = append(c.segs, n.segs...)
	c.keys = append(c.keys, n.keys...)
	if !n.isLeaf() {
		c.kids = append(c.kids, n.kids...)
	}
	w.retired = append(w.retired, n)
	return c
}

// drop takes n out of the tree: straight back to the free list when no reader ever saw it.
func (w *writer) drop(n *node) {
	if n.epoch == w.epoch {
		w.free[kind(n)] = append(w.free[kind(n)], n)
		return
	}
	w.retired = append(w.retired, n)
}

// descend makes the path to the leaf holding the last segment at or before x (the first leaf
// when there is none) writable, and records it in p.
func (w *writer) descend(x uint64, p *path) {
	w.root = w.own(w.root)
	n := w.root
	p.d = 0
	for !n.isLeaf() {
		w.work.visited++
		c := childFor(n.keys, x)
		k := w.own(n.kids[c])
		n.kids[c] = k
		p.s[p.d] = step{n, c}
		p.d++
		n = k
	}
	p.leaf = n
}

// fix restores the tree's shape after p's leaf changed: empty nodes leave, overfull ones
// split, small ones merge with a sibling, and the keys above follow first offsets.
func (w *writer) fix(p *path) {
	n := p.leaf
	for d := p.d; d > 0; d-- {
		par, c := p.s[d-1].n, p.s[d-1].c
		switch sz := n.size(); {
		case sz == 0:
			removeChild(par, c)
			w.drop(n)
		case sz > n.max():
			r := w.split(n)
			insertChild(par, c+1, r)
		case sz < n.max()/4:
			w.mergeSmall(par, c)
		}
		for k := max(c-1, 0); k <= c+1 && k < len(par.kids); k++ {
			par.keys[k] = par.kids[k].first()
		}
		n = par
	}
	for r := w.root; !r.isLeaf() && len(r.kids) <= 1; r = w.root {
		if len(r.kids) == 0 {
			w.root = w.alloc(0)
		} else {
			w.root = r.kids[0]
		}
		w.drop(r)
	}
	if r := w.root; r.size() > r.max() {
		right := w.split(r)
		top := w.alloc(1)
		top.kids = append(top.kids, r, right)
		top.keys = append(top.keys, r.first(), right.first())
		w.root = top
	}
}

// split moves the upper half of n (owned by this batch) into a new node and returns it.
func (w *writer) split(n *node) *node {
	r := w.alloc(kind(n))
	if n.isLeaf() {
		h := len(n.segs) / 2
		r.segs = append(r.segs, n.segs[h:]...)
		n.segs = n.segs[:h]
		return r
	}
	h := len(n.kids) / 2
	r.keys = append(r.keys, n.keys[h:]...)
	r.kids = append(r.kids, n.kids[h:]...)
	n.keys = n.keys[:h]
	n.kids = n.kids[:h]
	return r
}

// mergeSmall joins child c of par with a neighbour when both fit in one node.
func (w *writer) mergeSmall(par *node, c int) {
	n := par.kids[c]
	for _, l := range [2]int{c - 1, c} {
		r := l + 1
		if l < 0 || r >= len(par.kids) || par.kids[l].size()+par.kids[r].size() > n.max()*3/4 {
			continue
		}
		left := w.own(par.kids[l])
		par.kids[l] = left
		right := par.kids[r]
		left.segs = append(left.segs, right.segs...)
		left.keys = append(left.keys, right.keys...)
		if !right.isLeaf() {
			left.kids = append(left.kids, right.kids...)
		}
		removeChild(par, r)
		w.drop(right)
		return
	}
}

func removeChild(par *node, c int) {
	par.keys = append(par.keys[:c], par.keys[c+1:]...)
	par.kids = append(par.kids[:c], par.kids[c+1:]...)
}

func insertChild(par *node, c int, k *node) {
	par.keys = append(par.keys, 0)
	copy(par.keys[c+1:], par.keys[c:])
	par.keys[c] = k.first()
	par.kids = append(par.kids, nil)
	copy(par.kids[c+1:], par.kids[c:])
	par.kids[c] = k
}
