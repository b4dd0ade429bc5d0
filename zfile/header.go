package zfile

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// Header and trailer share one 512-byte layout; 96 bytes are used, the rest is zero.
const (
	htSpace      = 512 // bytes a header or trailer occupies
	htStructSize = 96  // value of the size field
)

var (
	magic0 = [8]byte{'Z', 'F', 'i', 'l', 'e', 0, 1, 0}
	magic1 = [16]byte{'t', 'u', 'j', 'i', '.', 'y', 'y', 'f', '@', 'A', 'l', 'i', 'b', 'a', 'b', 'a'}
)

// Flag bits of the header/trailer flags field.
const (
	flagHeader          = 1 << 0 // 1: header, 0: trailer
	flagDataFile        = 1 << 1 // always set: overlaybd has no ZFile index files
	flagSealed          = 1 << 2 // set in the trailer
	flagHeaderOverwrite = 1 << 3 // header rewritten with the trailer's index fields
	flagDigest          = 1 << 4 // digest and index_crc are valid
	flagIndexCompressed = 1 << 5 // never written by overlaybd's tools; not supported
)

// Field offsets inside the 512 bytes.
const (
	offStructSize  = 24
	offDigest      = 28
	offFlags       = 32
	offIndexOffset = 40
	offIndexSize   = 48
	offRawSize     = 56
	offIndexCRC    = 64
	offBlockSize   = 72
	offAlgorithm   = 76
	offLevel       = 77
	offUseDict     = 78
	offDictSize    = 84
	offVerify      = 88
)

// headerTrailer is the decoded form of a header or trailer.
type headerTrailer struct {
	Digest      uint32
	Flags       uint64
	IndexOffset uint64 // bytes from the start of the ZFile
	IndexSize   uint64 // number of blocks
	RawSize     uint64 // uncompressed size
	IndexCRC    uint32
	BlockSize   uint32
	Algorithm   Algorithm
	Level       uint8
	UseDict     uint8
	DictSize    uint32
	Verify      uint8
}

// IsZFile reports whether head starts with the ZFile magic. It needs at least 24 bytes.
func IsZFile(head []byte) bool {
	return len(head) >= 24 && bytes.Equal(head[:8], magic0[:]) && bytes.Equal(head[8:24], magic1[:])
}

// headerDigest is the raw CRC32C of the 512 bytes with the digest field read as zero.
func headerDigest(b *[htSpace]byte) uint32 {
	c := crcRaw(0, b[:offDigest])
	c = crcRaw(c, []byte{0, 0, 0, 0})
	return crcRaw(c, b[offDigest+4:])
}

// parseHeaderTrailer decodes b. It checks the magic, the struct size and, when the digest
// flag is set, the digest; the caller checks what the fields mean. what names the structure
// ("header", "trailer") in errors.
func parseHeaderTrailer(b *[htSpace]byte, name string, off int64, what string) (headerTrailer, error) {
	var h headerTrailer
	if !IsZFile(b[:]) {
		return h, corruptf(name, off, "%s: bad magic", what)
	}
	le := binary.LittleEndian
	if s := le.Uint32(b[offStructSize:]); s != htStructSize {
		return h, corruptf(name, off, "%s: struct size %d, want %d", what, s, htStructSize)
	}
	h.Digest = le.Uint32(b[offDigest:])
	h.Flags = le.Uint64(b[offFlags:])
	h.IndexOffset = le.Uint64(b[offIndexOffset:])
	h.IndexSize = le.Uint64(b[offIndexSize:])
	h.RawSize = le.Uint64(b[offRawSize:])
	h.IndexCRC = le.Uint32(b[offIndexCRC:])
	h.BlockSize = le.Uint32(b[offBlockSize:])
	h.Algorithm = Algorithm(b[offAlgorithm])
	h.Level = b[offLevel]
	h.UseDict = b[offUseDict]
	h.DictSize = le.Uint32(b[offDictSize:])
	h.Verify = b[offVerify]
	if h.Flags&flagDigest != 0 {
		if d := headerDigest(b); d != h.Digest {
			return h, corruptf(name, off, "%s digest is %#08x, computed %#08x", what, h.Digest, d)
		}
	}
	return h, nil
}

// marshal encodes h into b (all 512 bytes), computing the digest when the digest flag is set.
func (h *headerTrailer) marshal(b *[htSpace]byte) {
	*b = [htSpace]byte{}
	copy(b[0:], magic0[:])
	copy(b[8:], magic1[:])
	le := binary.LittleEndian
	le.PutUint32(b[offStructSize:], htStructSize)
	le.PutUint64(b[offFlags:], h.Flags)
	le.PutUint64(b[offIndexOffset:], h.IndexOffset)
	le.PutUint64(b[offIndexSize:], h.IndexSize)
	le.PutUint64(b[offRawSize:], h.RawSize)
	le.PutUint32(b[offIndexCRC:], h.IndexCRC)
	le.PutUint32(b[offBlockSize:], h.BlockSize)
	b[offAlgorithm] = byte(h.Algorithm)
	b[offLevel] = h.Level
	b[offUseDict] = h.UseDict
	le.PutUint32(b[offDictSize:], h.DictSize)
	b[offVerify] = h.Verify
	if h.Flags&flagDigest != 0 {
		h.Digest = headerDigest(b)
	}
	le.PutUint32(b[offDigest:], h.Digest)
}

// FlagNames names the bits set in a header or trailer's flags field, for people ("trailer,
// data, sealed, digest").
func FlagNames(f uint64) string {
	var names []string
	if f&flagHeader == 0 {
		names = append(names, "trailer")
	}
	for _, b := range []struct {
		bit  uint64
		name string
	}{
		{flagHeader, "header"}, {flagDataFile, "data"}, {flagSealed, "sealed"},
		{flagHeaderOverwrite, "header rewritten"}, {flagDigest, "digest"}, {flagIndexCompressed, "index compressed"},
	} {
		if f&b.bit != 0 {
			names = append(names, b.name)
		}
	}
	return strings.Join(names, ", ")
}
