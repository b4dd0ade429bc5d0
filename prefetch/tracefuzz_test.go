package prefetch

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"testing"
)

// FuzzParseTrace: the parser never panics, and whatever it accepts re-encodes to the same bytes
// apart from record padding (overlaybd leaves it unspecified, dadi writes zeros).
func FuzzParseTrace(f *testing.F) {
	f.Add(EncodeTrace(sampleTrace()))
	f.Add(EncodeTrace(nil))
	f.Add([]byte("/etc/passwd\n/usr/bin/\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := ParseTrace(b, "fuzz")
		if err != nil {
			return
		}
		CheckTrace(recs, []int64{1 << 20}, "fuzz")
		again := EncodeTrace(recs)
		if len(again) != len(b) {
			t.Fatalf("re-encoded to %d bytes from %d", len(again), len(b))
		}
		for i := TraceHeaderSize; i < len(b); i += TraceRecordSize {
			if !bytes.Equal(again[i+4:i+24], b[i+4:i+24]) || again[i] != b[i] {
				t.Fatalf("record at %d re-encoded differently", i)
			}
		}
	})
}

// FuzzTraceSummary: whatever records a checksum-valid trace holds (the harness writes the
// header, so every mutation reaches the records), the summary never panics or allocates by a
// record's numbers, every record is either summarised or skipped, the layers add up to the
// totals, and a trace CheckTrace accepts has nothing skipped.
func FuzzTraceSummary(f *testing.F) {
	body := func(recs []TraceRecord) []byte { return EncodeTrace(recs)[TraceHeaderSize:] }
	f.Add(body(sampleTrace()), uint8(16))
	f.Add(body([]TraceRecord{{TraceRead, 0, 4096, -4096}}), uint8(4))
	f.Add(body([]TraceRecord{{TraceRead, 0, 4096, math.MaxInt64 - 4096}, {TraceWrite, 1, math.MaxUint64, 1}}), uint8(255))
	f.Fuzz(func(t *testing.T, b []byte, buckets uint8) {
		b = b[:len(b)/TraceRecordSize*TraceRecordSize]
		file := EncodeTrace(nil)
		file = append(file, b...)
		binary.LittleEndian.PutUint64(file[8:], uint64(len(b)))
		binary.LittleEndian.PutUint32(file[16:], crcRaw(0, b))
		recs, err := ParseTrace(file, "fuzz")
		if err != nil {
			t.Fatalf("checksum-valid trace refused: %v", err)
		}
		s := SummarizeTrace(recs)
		if s.Records+s.Skipped != len(recs) {
			t.Fatalf("%d records summarised + %d skipped of %d", s.Records, s.Skipped, len(recs))
		}
		var n int
		var bytes uint64
		for _, l := range s.Layers {
			n += l.Records
			bytes += l.Bytes
		}
		if n != s.Records || bytes != s.Bytes {
			t.Fatalf("layers hold %d records, %d bytes; totals say %d, %d", n, bytes, s.Records, s.Bytes)
		}
		s.WriteText(io.Discard, int(buckets))
		if CheckTrace(recs, []int64{1 << 40, 1 << 40}, "fuzz") == nil && s.Skipped != 0 {
			t.Fatalf("CheckTrace accepts a trace whose summary skipped %d records", s.Skipped)
		}
	})
}
