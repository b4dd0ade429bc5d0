package index

import (
	"encoding/binary"
	"fmt"
)

// Limits of the packed fields (overlaybd's SegmentMapping bit widths).
const (
	OffsetBits  = 50
	LengthBits  = 14
	MOffsetBits = 55

	// MaxOffset is the largest sector offset. An entry with this offset and length 0 is the
	// padding that fills a committed index up to 4 KiB.
	MaxOffset  = 1<<OffsetBits - 1
	MaxLength  = 1<<LengthBits - 1
	MaxMOffset = 1<<MOffsetBits - 1
	// MaxSectors is the largest disk an index addresses, in sectors: every segment must end
	// at or below it (offset MaxOffset itself is the padding marker).
	MaxSectors = MaxOffset

	// EntrySize is the size of one packed entry, in memory and on disk.
	EntrySize = 16
)

// Segment maps Length sectors at Offset of the virtual disk to MOffset sectors into a layer
// file (or to zeros when Zeroed). Tag is the layer position in a merged index. It packs into
// two words exactly like an on-disk index entry, so a million segments take 16 MB.
type Segment struct {
	lo uint64 // offset (bits 0-49), length (bits 50-63)
	hi uint64 // moffset (bits 0-54), zeroed (bit 55), tag (bits 56-63)
}

// NewSegment packs a segment. It panics if a field does not fit: callers validate file input
// with Valid before packing and split long extents at MaxLength.
func NewSegment(offset, length, moffset uint64, zeroed bool, tag uint8) Segment {
	if offset > MaxOffset || length > MaxLength || moffset > MaxMOffset {
		panic(fmt.Sprintf("index: segment out of range: offset %d length %d moffset %d", offset, length, moffset))
	}
	s := Segment{lo: offset | length<<OffsetBits, hi: moffset | uint64(tag)<<56}
	if zeroed {
		s.hi |= 1 << 55
	}
	return s
}

// Padding is the filler entry of a committed index.
var Padding = Segment{lo: MaxOffset}

func (s Segment) Offset() uint64  { return s.lo & MaxOffset }
func (s Segment) Length() uint64  { return s.lo >> OffsetBits }
func (s Segment) End() uint64     { return s.Offset() + s.Length() }
func (s Segment) MOffset() uint64 { return s.hi & MaxMOffset }
func (s Segment) Zeroed() bool    { return s.hi&(1<<55) != 0 }
func (s Segment) Tag() uint8      { return uint8(s.hi >> 56) }

// IsPadding reports a length-0 entry at MaxOffset.
func (s Segment) IsPadding() bool { return s.Offset() == MaxOffset && s.Length() == 0 }

// WithTag returns s with its tag replaced.
func (s Segment) WithTag(tag uint8) Segment {
	s.hi = s.hi&(1<<56-1) | uint64(tag)<<56
	return s
}

// Slice returns the part of s covering [from, to), which must lie inside s. The moffset moves
// with the offset for data; zeroed segments keep theirs (it means nothing).
func (s Segment) Slice(from, to uint64) Segment {
	m := s.MOffset()
	if !s.Zeroed() {
		m += from - s.Offset()
	}
	s.lo = from | (to-from)<<OffsetBits
	s.hi = s.hi&^MaxMOffset | m
	return s
}

// Decode reads a packed little-endian entry from b[:16].
func Decode(b []byte) Segment {
	return Segment{lo: binary.LittleEndian.Uint64(b), hi: binary.LittleEndian.Uint64(b[8:])}
}

// Encode writes s into b[:16].
func (s Segment) Encode(b []byte) {
	binary.LittleEndian.PutUint64(b, s.lo)
	binary.LittleEndian.PutUint64(b[8:], s.hi)
}

func (s Segment) String() string {
	z := ""
	if s.Zeroed() {
		z = " zeroed"
	}
	return fmt.Sprintf("[%d+%d -> %d%s tag %d]", s.Offset(), s.Length(), s.MOffset(), z, s.Tag())
}
