package engine

import (
	"bytes"
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
