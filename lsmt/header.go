package lsmt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/dadi-dev/dadi/index"
)

const (
	// SectorSize is the unit of LSMT offsets and lengths.
	SectorSize = 512
	// HeaderSize is the size of an LSMT header and trailer; data starts right after the header.
	HeaderSize = 4096
	// headerStructSize is the used part of the header (overlaybd's sizeof(HeaderTrailer)).
	headerStructSize = 390
	// MaxVirtualSize is the largest disk an LSMT index addresses, in bytes (index.MaxSectors
	// sectors). A header claiming more is corrupt: writes past it could not be recorded.
	MaxVirtualSize = index.MaxSectors * SectorSize
)

// Header flags (bit numbers as in overlaybd's HeaderTrailer).
const (
	FlagHeader   = 1 << 0 // a header (at byte 0), not a trailer
	FlagDataFile = 1 << 1 // a data file, not an index file
	FlagSealed   = 1 << 2 // committed or sealed: the trailer holds the index
	FlagGCLayer  = 1 << 3
	FlagSparseRW = 1 << 4 // sparse writable layer
)

var (
	lsmtMagic0 = [8]byte{'L', 'S', 'M', 'T', 0, 1, 2, 0}
	lsmtMagic1 = [16]byte{0x65, 0x7E, 0x63, 0xD2, 0x94, 0x44, 0x08, 0x4C, 0xA2, 0xD2, 0xC8, 0xEC, 0x4F, 0xCF, 0xAE, 0x8A}
)

// NullUUID is what overlaybd writes for a missing parent.
const NullUUID = "00000000-0000-0000-0000-000000000000"

// Header is an LSMT header or trailer (same layout, told apart by FlagHeader).
type Header struct {
	Flags       uint32
	IndexOffset uint64 // bytes
	IndexSize   uint64 // 16-byte entries, padding included
	VirtualSize uint64 // bytes
	UUID        string
	ParentUUID  string
	Version     uint8
	SubVersion  uint8
	UserTag     string
}

// IsLSMT reports whether b starts with the LSMT magic.
func IsLSMT(b []byte) bool {
	return len(b) >= 24 && bytes.Equal(b[:8], lsmtMagic0[:]) && bytes.Equal(b[8:24], lsmtMagic1[:])
}

// ParseHeader decodes a header or trailer from b (at least 512 bytes). It checks the magic
// and the struct size; what the flags must be depends on where the block was found, so the
// caller checks those.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < 512 {
		return Header{}, fmt.Errorf("%w: header block of %d bytes", ErrCorrupt, len(b))
	}
	if !IsLSMT(b) {
		return Header{}, fmt.Errorf("%w: bad LSMT magic % x", ErrCorrupt, b[:8])
	}
	le := binary.LittleEndian
	if sz := le.Uint32(b[24:]); sz != headerStructSize {
		return Header{}, fmt.Errorf("%w: header struct size %d, want %d", ErrCorrupt, sz, headerStructSize)
	}
	h := Header{
		Flags:       le.Uint32(b[28:]),
		IndexOffset: le.Uint64(b[32:]),
		IndexSize:   le.Uint64(b[40:]),
		VirtualSize: le.Uint64(b[48:]),
		UUID:        cstring(b[56:93]),
		ParentUUID:  cstring(b[93:130]),
		Version:     b[132],
		SubVersion:  b[133],
		UserTag:     cstring(b[134:390]),
	}
	if h.VirtualSize%SectorSize != 0 {
		return Header{}, fmt.Errorf("%w: virtual size %d is not a multiple of %d", ErrCorrupt, h.VirtualSize, SectorSize)
	}
	if h.VirtualSize > MaxVirtualSize {
		return Header{}, fmt.Errorf("%w: virtual size %d exceeds %d bytes (2^50-1 sectors), the most an LSMT index addresses",
			ErrCorrupt, h.VirtualSize, uint64(MaxVirtualSize))
	}
	return h, nil
}

// checkIndexBounds checks a trailer's index fields against the size of the LSMT bytes before
// anything is read or allocated from them: the index must lie in the data area [HeaderSize,
// size-HeaderSize). Every term is compared with the size first, so nothing can wrap. Every
// opener of a committed layer (plain, tar, ZFile; info, merge, serve) goes through here.
func checkIndexBounds(name string, t Header, size int64) error {
	toff := uint64(size) - HeaderSize // the caller checked size >= 2*HeaderSize
	if t.IndexOffset < HeaderSize || t.IndexOffset > toff ||
		t.IndexSize > (toff-HeaderSize)/index.EntrySize || t.IndexSize*index.EntrySize > toff-t.IndexOffset {
		return corruptf(name, "trailer at offset %d: index at offset %d with %d entries lies outside the data area [%d, %d)",
			toff, t.IndexOffset, t.IndexSize, HeaderSize, toff)
	}
	return nil
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// Marshal encodes h into a 4096-byte block the way overlaybd does: uuids in upper case, an
// empty parent as NullUUID, version 1.1 unless set, the rest zero.
func (h Header) Marshal() []byte {
	b := make([]byte, HeaderSize)
	copy(b, lsmtMagic0[:])
	copy(b[8:], lsmtMagic1[:])
	le := binary.LittleEndian
	le.PutUint32(b[24:], headerStructSize)
	le.PutUint32(b[28:], h.Flags)
	le.PutUint64(b[32:], h.IndexOffset)
	le.PutUint64(b[40:], h.IndexSize)
	le.PutUint64(b[48:], h.VirtualSize)
	copy(b[56:92], strings.ToUpper(h.UUID))
	parent := h.ParentUUID
	if parent == "" {
		parent = NullUUID
	}
	copy(b[93:129], strings.ToUpper(parent))
	b[132], b[133] = h.Version, h.SubVersion
	if h.Version == 0 && h.SubVersion == 0 {
		b[132], b[133] = 1, 1
	}
	copy(b[134:389], h.UserTag)
	return b
}

// ValidateUUID checks the 8-4-4-4-12 hex form (or empty).
func ValidateUUID(u string) error {
	if u == "" {
		return nil
	}
	if len(u) != 36 {
		return fmt.Errorf("uuid %q: want 36 characters (8-4-4-4-12 hex)", u)
	}
	for i, c := range u {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return fmt.Errorf("uuid %q: want '-' at %d", u, i)
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return fmt.Errorf("uuid %q: %q is not hex", u, c)
			}
		}
	}
	return nil
}
