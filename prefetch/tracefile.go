package prefetch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// overlaybd's prefetch trace: a 24-byte header (u32 magic, pad, u64 data size, u32 checksum,
// pad) and 24-byte records (u8 op, pad, u32 layer index, u64 count, i64 offset), all
// little-endian. The checksum is raw CRC32C (no inversion) over the record bytes as stored,
// padding included, which is what overlaybd's crc32c_extend computes.
const (
	TraceMagic      = 0xC2EF1820 // CRC32 of "Container Image Trace Format"
	TraceHeaderSize = 24
	TraceRecordSize = 24
	// TraceMaxIO is the largest read a record may ask for: overlaybd's replay buffer.
	TraceMaxIO = 1 << 20
)

// ErrBadTrace marks a prefetch trace file that breaks the format or does not fit the image.
var ErrBadTrace = errors.New("bad prefetch trace")

// TraceOp is a record's operation; replay only acts on reads.
type TraceOp byte

const (
	TraceRead  TraceOp = 'R'
	TraceWrite TraceOp = 'W'
)

// TraceRecord is one read of layer Layer's blob: Count bytes at Offset, where the offset is in
// the blob as stored (compressed, tar-wrapped), exactly as overlaybd records it.
type TraceRecord struct {
	Op     TraceOp
	Layer  uint32
	Count  uint64
	Offset int64
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crcRaw is overlaybd's CRC32C: no inversion on entry or exit.
func crcRaw(init uint32, p []byte) uint32 { return ^crc32.Update(^init, castagnoli, p) }

// EncodeTrace returns the trace file for records.
func EncodeTrace(records []TraceRecord) []byte {
	b := make([]byte, TraceHeaderSize+len(records)*TraceRecordSize)
	body := b[TraceHeaderSize:]
	for i, r := range records {
		p := body[i*TraceRecordSize:]
		p[0] = byte(r.Op)
		binary.LittleEndian.PutUint32(p[4:], r.Layer)
		binary.LittleEndian.PutUint64(p[8:], r.Count)
		binary.LittleEndian.PutUint64(p[16:], uint64(r.Offset))
	}
	binary.LittleEndian.PutUint32(b[0:], TraceMagic)
	binary.LittleEndian.PutUint64(b[8:], uint64(len(body)))
	binary.LittleEndian.PutUint32(b[16:], crcRaw(0, body))
	return b
}

// IsTrace says whether b starts with a trace header: overlaybd tells a trace from a file list
// by the magic alone.
func IsTrace(b []byte) bool {
	return len(b) >= TraceHeaderSize && binary.LittleEndian.Uint32(b) == TraceMagic
}

// ParseTrace decodes a whole trace file. Every failure wraps ErrBadTrace and says where; no
// record is returned unless the file is entirely sound, so nothing of a bad file is replayed.
func ParseTrace(b []byte, name string) ([]TraceRecord, error) {
	bad := func(format string, args ...any) ([]TraceRecord, error) {
		return nil, fmt.Errorf("%s: %w: %s", name, ErrBadTrace, fmt.Sprintf(format, args...))
	}
	if len(b) < TraceHeaderSize {
		return bad("%d bytes is shorter than the %d-byte header", len(b), TraceHeaderSize)
	}
	if m := binary.LittleEndian.Uint32(b); m != TraceMagic {
		return bad("magic %#08x, want %#08x", m, uint32(TraceMagic))
	}
	size := binary.LittleEndian.Uint64(b[8:])
	body := b[TraceHeaderSize:]
	if size != uint64(len(body)) {
		return bad("header says %d bytes of records, the file holds %d (truncated or padded file)", size, len(body))
	}
	if len(body)%TraceRecordSize != 0 {
		return bad("%d bytes of records is not a whole number of %d-byte records: the last one is truncated", len(body), TraceRecordSize)
	}
	if want, got := binary.LittleEndian.Uint32(b[16:]), crcRaw(0, body); want != got {
		return bad("checksum %#08x, header says %#08x", got, want)
	}
	recs := make([]TraceRecord, len(body)/TraceRecordSize)
	for i := range recs {
		p := body[i*TraceRecordSize:]
		recs[i] = TraceRecord{
			Op:     TraceOp(p[0]),
			Layer:  binary.LittleEndian.Uint32(p[4:]),
			Count:  binary.LittleEndian.Uint64(p[8:]),
			Offset: int64(binary.LittleEndian.Uint64(p[16:])),
		}
	}
	return recs, nil
}

// problem says what makes r unusable whatever the image it is replayed on, or "" when
// nothing does: an unknown op, an offset or end outside int64, a read of no bytes or more
// than TraceMaxIO. The checksum does not vouch for any of this: it only says the bytes are
// the ones written.
func (r TraceRecord) problem() string {
	switch {
	case r.Op != TraceRead && r.Op != TraceWrite:
		return fmt.Sprintf("op %#x is neither 'R' nor 'W'", byte(r.Op))
	case r.Offset < 0:
		return "negative offset"
	case r.Count > math.MaxInt64-uint64(r.Offset):
		return "the end of the range overflows int64"
	case r.Op == TraceRead && (r.Count == 0 || r.Count > TraceMaxIO):
		return fmt.Sprintf("count must be between 1 and %d", TraceMaxIO)
	}
	return ""
}

// CheckTrace checks records against a stack of layers whose blobs have the given sizes: every
// layer index inside the stack, every read inside its blob. It names the first bad record.
func CheckTrace(recs []TraceRecord, blobSizes []int64, name string) error {
	for i, r := range recs {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%s: %w: record %d (%c layer %d, %d bytes at %d): %s", name, ErrBadTrace,
				i, r.Op, r.Layer, r.Count, r.Offset, fmt.Sprintf(format, args...))
		}
		if p := r.problem(); p != "" {
			return bad("%s", p)
		}
		if uint64(r.Layer) >= uint64(len(blobSizes)) {
			return bad("layer index beyond the stack of %d layers", len(blobSizes))
		}
		if r.Op != TraceRead {
			continue
		}
		// problem() put Offset and Offset+Count inside int64, so this cannot wrap.
		if size := blobSizes[r.Layer]; r.Offset+int64(r.Count) > size {
			return bad("read outside the %d-byte layer blob", size)
		}
	}
	return nil
}
