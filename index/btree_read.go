package index

// cursor walks the segments of a tree in order. It is a value with its path inline, so a
// lookup keeps it on the stack.
type cursor struct {
	p path
	i int // position in p.leaf.segs; -1 before the first segment, len at the end
}

// seek positions c at the last segment starting at or before x, or before the first segment
// when there is none.
func (c *cursor) seek(root *node, x uint64) {
	n := root
	c.p.d = 0
	for !n.isLeaf() {
		k := childFor(n.keys, x)
		c.p.s[c.p.d] = step{n, k}
		c.p.d++
		n = n.kids[k]
	}
	c.p.leaf = n
	c.i = searchLeaf(n.segs, x)
}

func (c *cursor) valid() bool { return c.i >= 0 && c.i < len(c.p.leaf.segs) }

func (c *cursor) seg() Segment { return c.p.leaf.segs[c.i] }

// next moves to the following segment and reports whether there is one.
func (c *cursor) next() bool {
	c.i++
	if c.i < len(c.p.leaf.segs) {
		return true
	}
	if !c.nextLeaf() {
		c.i = len(c.p.leaf.segs)
		return false
	}
	c.i = 0
	return true
}

// nextLeaf moves the path to the following leaf, if there is one.
func (c *cursor) nextLeaf() bool {
	p := &c.p
	d := p.d
	for d > 0 && p.s[d-1].c+1 >= len(p.s[d-1].n.kids) {
		d--
	}
	if d == 0 {
		return false
	}
	p.s[d-1].c++
	n := p.s[d-1].n.kids[p.s[d-1].c]
	for ; !n.isLeaf(); d++ {
		p.s[d] = step{n, 0}
		n = n.kids[0]
	}
	p.d = d
	p.leaf = n
	return true
}

// prev moves to the preceding segment and reports whether there is one.
func (c *cursor) prev() bool {
	if c.i > 0 {
		c.i--
		return true
	}
	p := &c.p
	d := p.d
	for d > 0 && p.s[d-1].c == 0 {
		d--
	}
	if d == 0 {
		c.i = -1
		return false
	}
	p.s[d-1].c--
	n := p.s[d-1].n.kids[p.s[d-1].c]
	for ; !n.isLeaf(); d++ {
		p.s[d] = step{n, len(n.kids) - 1}
		n = n.kids[len(n.kids)-1]
	}
	p.d = d
	p.leaf = n
	c.i = len(n.segs) - 1
	return true
}

// lookupTree appends the extents of [from, to) in the tree under root (see Static.Lookup).
func lookupTree(root *node, from, to uint64, dst []Extent) []Extent {
	var c cursor
	c.seek(root, from)
	pos := from
	segs := c.p.leaf.segs[max(c.i, 0):]
	for {
		var done bool
		dst, pos, done = appendSegs(dst, segs, pos, to)
		if done || !c.nextLeaf() {
			break
		}
		segs = c.p.leaf.segs
	}
	if pos < to {
		dst = append(dst, Extent{Offset: pos, Length: to - pos, Kind: Unmapped})
	}
	return dst
}

// walk calls f on every leaf's segments in order.
func walk(n *node, f func([]Segment)) {
	if n.isLeaf() {
		f(n.segs)
		return
	}
	for _, k := range n.kids {
		walk(k, f)
	}
}
