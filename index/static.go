package index

import (
	"fmt"

	"github.com/dadi-dev/dadi/internal/errs"
)

// ErrInvalid marks index content that breaks the rules of a read-only index (unsorted,
// overlapping, zero length). Callers wrap it with the file name. It wraps errs.ErrCorrupt: an
// invalid index in a layer file is a corrupt layer.
var ErrInvalid = fmt.Errorf("invalid index: %w", errs.ErrCorrupt)

// Static is an immutable index: sorted, non-overlapping segments plus a search tree over the
// start offsets of every blockSegs-th segment. It is safe for concurrent lookups and never
// changes after construction.
//
// The tree stops at blocks of segments rather than at single ones: the last step counts
// within the block's segments themselves, which a lookup reads anyway, so the tree is 16
// times smaller (it stays in cache at a million segments) and a lookup misses the cache
// about once (the segments) instead of twice (tree leaves, then segments).
type Static struct {
	segs []Segment
	t    tree
}

// blockSegs is the number of segments under one key of the tree: 256 bytes, 4 cache lines.
const blockSegs = 16

// NewStatic builds a Static over segs, which it keeps (the caller must not change them).
// Padding entries must already be removed. It fails with ErrInvalid, naming the entry, when
// segs are not strictly ascending and non-overlapping or a length is 0.
func NewStatic(segs []Segment) (*Static, error) {
	for i, s := range segs {
		if s.Length() == 0 {
			return nil, fmt.Errorf("%w: entry %d %v has length 0", ErrInvalid, i, s)
		}
		if s.End() > MaxOffset {
			return nil, fmt.Errorf("%w: entry %d %v ends past the largest offset", ErrInvalid, i, s)
		}
		if i > 0 && s.Offset() < segs[i-1].End() {
			if s.Offset() < segs[i-1].Offset() {
				return nil, fmt.Errorf("%w: entry %d %v is below entry %d %v (not sorted)", ErrInvalid, i, s, i-1, segs[i-1])
			}
			return nil, fmt.Errorf("%w: entry %d %v overlaps entry %d %v", ErrInvalid, i, s, i-1, segs[i-1])
		}
	}
	return newStatic(segs), nil
}

// newStatic skips validation for segments built by this package.
func newStatic(segs []Segment) *Static {
	starts := make([]uint64, (len(segs)+blockSegs-1)/blockSegs)
	for i := range starts {
		starts[i] = segs[i*blockSegs].Offset()
	}
	return &Static{segs: segs, t: buildTree(starts)}
}

// Len is the number of segments.
func (s *Static) Len() int { return len(s.segs) }

// Segments returns the sorted segments. The slice is shared: do not modify it.
func (s *Static) Segments() []Segment { return s.segs }

// MappedSectors is the number of sectors covered by data (not zeroed) segments.
func (s *Static) MappedSectors() uint64 {
	var n uint64
	for _, g := range s.segs {
		if !g.Zeroed() {
			n += g.Length()
		}
	}
	return n
}

// Lookup appends to dst the extents covering length sectors at offset, in order, with
// Unmapped extents for holes, and returns the extended slice. With enough capacity in dst it
// does not allocate.
func (s *Static) Lookup(offset, length uint64, dst []Extent) []Extent {
	if length == 0 {
		return dst
	}
	return appendRange(dst, s.segs, max(s.search(offset), 0), offset, offset+length)
}

// search returns the index of the last segment starting at or before x, or -1.
func (s *Static) search(x uint64) int { return s.searchBlock(s.t.find(x), x) }

// searchBlock returns the index of the last segment starting at or before x in block k (the
// tree's answer for x), or -1 when k is -1.
func (s *Static) searchBlock(k int, x uint64) int {
	if k < 0 {
		return -1
	}
	base := k * blockSegs
	if len(s.segs)-base < blockSegs {
		i := base
		for i+1 < len(s.segs) && s.segs[i+1].Offset() <= x {
			i++
		}
		return i
	}
	// As in tree.find: offsets and y are below 2^63, so (o-y)>>63 is 1 exactly when o < y,
	// and the block's first segment always counts.
	blk := s.segs[base : base+blockSegs : base+blockSegs]
	y := x + 1
	c := (blk[0].lo&MaxOffset - y) >> 63
	c += (blk[1].lo&MaxOffset - y) >> 63
	c += (blk[2].lo&MaxOffset - y) >> 63
	c += (blk[3].lo&MaxOffset - y) >> 63
	c += (blk[4].lo&MaxOffset - y) >> 63
	c += (blk[5].lo&MaxOffset - y) >> 63
	c += (blk[6].lo&MaxOffset - y) >> 63
	c += (blk[7].lo&MaxOffset - y) >> 63
	c += (blk[8].lo&MaxOffset - y) >> 63
	c += (blk[9].lo&MaxOffset - y) >> 63
	c += (blk[10].lo&MaxOffset - y) >> 63
	c += (blk[11].lo&MaxOffset - y) >> 63
	c += (blk[12].lo&MaxOffset - y) >> 63
	c += (blk[13].lo&MaxOffset - y) >> 63
	c += (blk[14].lo&MaxOffset - y) >> 63
	c += (blk[15].lo&MaxOffset - y) >> 63
	return base + int(c) - 1
}

// Find returns the index of the segment containing sector x, or -1.
func (s *Static) Find(x uint64) int {
	i := s.search(x)
	if i >= 0 && s.segs[i].End() > x {
		return i
	}
	return -1
}
