package index

// Kind says what an extent of a lookup reads as.
type Kind uint8

const (
	// Unmapped: no layer has the range; it reads as zeros (and, in a writable layer, lets the
	// lower layers show through).
	Unmapped Kind = iota
	// Zero: a layer discarded the range; it reads as zeros and hides the layers below.
	Zero
	// Data: the bytes are at MOffset sectors into the file of layer Layer.
	Data
)

// Extent is one piece of a lookup result, in sectors.
type Extent struct {
	Offset  uint64
	Length  uint64
	MOffset uint64
	Layer   uint8
	Kind    Kind
}

// End is the first sector after the extent.
func (e Extent) End() uint64 { return e.Offset + e.Length }

// appendRange appends the extents of segs (sorted, non-overlapping, starting at index i) that
// cover [from, to), with Unmapped extents for the holes. It is the shared tail of every lookup.
func appendRange(dst []Extent, segs []Segment, i int, from, to uint64) []Extent {
	dst, pos, _ := appendSegs(dst, segs[i:], from, to)
	if pos < to {
		dst = append(dst, Extent{Offset: pos, Length: to - pos, Kind: Unmapped})
	}
	return dst
}

// appendSegs appends the extents of segs that cover [pos, to), with Unmapped extents for the
// holes before each, and returns where it stopped and whether the range is done (a segment
// at or past to was reached) or the next segments may still matter.
func appendSegs(dst []Extent, segs []Segment, pos, to uint64) ([]Extent, uint64, bool) {
	for _, s := range segs {
		if pos >= to {
			return dst, pos, true
		}
		off, end := s.Offset(), s.End()
		if end <= pos {
			continue
		}
		if off >= to {
			return dst, pos, true
		}
		if off > pos {
			dst = append(dst, Extent{Offset: pos, Length: off - pos, Kind: Unmapped})
			pos = off
		}
		e := min(end, to)
		x := Extent{Offset: pos, Length: e - pos, Layer: s.Tag(), Kind: Zero}
		if !s.Zeroed() {
			x.Kind = Data
			x.MOffset = s.MOffset() + (pos - off)
		}
		dst = append(dst, x)
		pos = e
	}
	return dst, pos, pos >= to
}
