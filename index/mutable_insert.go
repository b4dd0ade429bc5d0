package index

// An insert puts s into the sorted segments, cutting away what it covers from older
// segments and joining it to neighbours it continues (same kind, contiguous in the layer
// file too). Around s it needs at most four segments: the first and last it overlaps and the
// untouched neighbours on either side, which may join it.
type around struct {
	prev, first, last, next   Segment
	hasPrev, overlap, hasNext bool
}

// edit is what an insert does: the segments starting in [lo, hi] (none when !del) give way
// to repl[:n]. joinPrev and joinNext say whether the neighbours were absorbed.
type edit struct {
	repl               [3]Segment
	n                  int
	del                bool
	lo, hi             uint64
	joinPrev, joinNext bool
}

func planInsert(s Segment, ar *around) edit {
	var e edit
	a, b := s.Offset(), s.End()
	repl := &e.repl
	n := 0
	if ar.overlap {
		e.del, e.lo, e.hi = true, ar.first.Offset(), ar.last.Offset()
		if ar.first.Offset() < a {
			repl[n] = ar.first.Slice(ar.first.Offset(), a)
			n++
		}
	}
	repl[n] = s
	n++
	if ar.overlap && ar.last.End() > b {
		repl[n] = ar.last.Slice(b, ar.last.End())
		n++
	}
	// Join pieces that form one run: the remainders with s, and the ends with the untouched
	// neighbours.
	k := 0
	for _, p := range repl[1:n] {
		if jn, ok := join(repl[k], p); ok {
			repl[k] = jn
		} else {
			k++
			repl[k] = p
		}
	}
	n = k + 1
	if ar.hasPrev {
		if jn, ok := join(ar.prev, repl[0]); ok {
			repl[0] = jn
			e.joinPrev = true
			if !e.del {
				e.hi = ar.prev.Offset()
			}
			e.del, e.lo = true, ar.prev.Offset()
		}
	}
	if ar.hasNext {
		if jn, ok := join(repl[n-1], ar.next); ok {
			repl[n-1] = jn
			e.joinNext = true
			if !e.del {
				e.lo = ar.next.Offset()
			}
			e.del, e.hi = true, ar.next.Offset()
		}
	}
	e.n = n
	return e
}

// insert applies s to the writer's tree. Most inserts touch one leaf and are spliced there;
// those that reach a neighbouring leaf take the general path.
func (w *writer) insert(s Segment) {
	a, b := s.Offset(), s.End()
	var p path
	w.descend(a, &p)
	segs := p.leaf.segs
	// [i, j) are the leaf's segments that overlap [a, b).
	i := searchLeaf(segs, a)
	if i < 0 || segs[i].End() <= a {
		i++
	}
	j := i
	for j < len(segs) && segs[j].Offset() < b {
		j++
	}
	if (i == 0 && !p.leftmost()) || (j == len(segs) && !p.rightmost()) {
		w.insertAcross(s)
		return
	}
	var ar around
	if i > 0 {
		ar.prev, ar.hasPrev = segs[i-1], true
	}
	if i < j {
		ar.first, ar.last, ar.overlap = segs[i], segs[j-1], true
	}
	if j < len(segs) {
		ar.next, ar.hasNext = segs[j], true
	}
	e := planInsert(s, &ar)
	if e.joinPrev {
		i--
	}
	if e.joinNext {
		j++
	}
	p.leaf.segs = spliceLeaf(segs, i, j, e.repl[:e.n])
	w.fix(&p)
}

// insertAcross is the general insert: it finds the four segments around s with cursors,
// then deletes what s replaces leaf by leaf and inserts the result.
func (w *writer) insertAcross(s Segment) {
	a, b := s.Offset(), s.End()
	var ar around
	var c cursor
	c.seek(w.root, a)
	if !c.valid() || c.seg().End() <= a {
		c.next()
	}
	if c.valid() && c.seg().Offset() < b {
		ar.first, ar.overlap = c.seg(), true
	}
	if c.prev() {
		ar.prev, ar.hasPrev = c.seg(), true
	}
	c.seek(w.root, b-1)
	if ar.overlap {
		ar.last = c.seg()
	}
	if c.next() {
		ar.next, ar.hasNext = c.seg(), true
	}
	e := planInsert(s, &ar)
	if e.del {
		w.deleteRange(e.lo, e.hi)
	}
	w.insertRun(e.repl[:e.n])
}

// deleteRange removes the segments starting in [lo, hi], one leaf per round, last first.
func (w *writer) deleteRange(lo, hi uint64) {
	for {
		var p path
		w.descend(hi, &p)
		segs := p.leaf.segs
		q := searchLeaf(segs, hi) + 1
		k := q
		for k > 0 && segs[k-1].Offset() >= lo {
			k--
		}
		if k == q {
			return
		}
		p.leaf.segs = append(segs[:k], segs[q:]...)
		w.fix(&p)
		if k > 0 {
			return
		}
	}
}

// insertRun inserts sorted segments with no segment starting between them.
func (w *writer) insertRun(run []Segment) {
	var p path
	w.descend(run[0].Offset(), &p)
	i := searchLeaf(p.leaf.segs, run[0].Offset()) + 1
	p.leaf.segs = spliceLeaf(p.leaf.segs, i, i, run)
	w.fix(&p)
}

// spliceLeaf replaces segs[i:j] with repl in place; the leaf has room for the growth.
func spliceLeaf(segs []Segment, i, j int, repl []Segment) []Segment {
	old := len(segs)
	newLen := old - (j - i) + len(repl)
	segs = segs[:max(newLen, old)]
	copy(segs[i+len(repl):], segs[j:old])
	copy(segs[i:], repl)
	return segs[:newLen]
}

// join merges two adjacent segments when they form one run, within the length limit.
func join(l, r Segment) (Segment, bool) {
	if l.End() != r.Offset() || l.Zeroed() != r.Zeroed() || l.Tag() != r.Tag() || l.Length()+r.Length() > MaxLength {
		return l, false
	}
	if !l.Zeroed() && l.MOffset()+l.Length() != r.MOffset() {
		return l, false
	}
	return NewSegment(l.Offset(), l.Length()+r.Length(), l.MOffset(), l.Zeroed(), l.Tag()), true
}
