package index

import (
	"errors"
	"fmt"
)

// ErrInvalid marks index content that breaks the rules of a read-only index (unsorted,
// overlapping, zero length). Callers wrap it with the file name.
var ErrInvalid = errors.New("invalid index")

// Static is an immutable index: sorted, non-overlapping segments plus a search tree over their
// start offsets. It is safe for concurrent lookups and never changes after construction.
type Static struct {
	segs []Segment
	t    tree
}

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
	starts := make([]uint64, len(segs))
	for i, s := range segs {
		starts[i] = s.Offset()
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
	i := s.t.find(offset)
	if i < 0 {
		i = 0
	}
	return appendRange(dst, s.segs, i, offset, offset+length)
}

// Find returns the index of the segment containing sector x, or -1.
func (s *Static) Find(x uint64) int {
	i := s.t.find(x)
	if i >= 0 && s.segs[i].End() > x {
		return i
	}
	return -1
}
