package ebpf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostileEvents are events a checksum-valid file can hold but no device can have: a sector of
// 2^54 (its byte offset overflowed int64 and indexed the heat map with a negative number), the
// largest sector, a range that ends past int64, an end time past int64.
func hostileEvents() []Event {
	return []Event{
		{Time: 1, Latency: 1, Sector: 1 << 54, Bytes: 4096, Op: OpRead},
		{Time: 1, Latency: 1, Sector: math.MaxUint64, Bytes: 512, Op: OpWrite},
		{Time: 1, Latency: 1, Sector: maxSector, Bytes: 4096, Op: OpRead},
		{Time: math.MaxUint64, Latency: 5, Sector: 8, Bytes: 512, Op: OpRead},
	}
}

// writeEvents writes a complete, checksum-valid device trace of evs.
func writeEvents(t testing.TB, evs []Event) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "trace")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewWriter(f, MkDev(259, 0), time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		if err := w.Write(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(0, 0); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	return b
}

// TestSummarizeSkipsHostileEvents: the summary skips and counts events whose numbers fall
// outside int64, prints the count, and maps the rest, including a request that ends at the
// last byte an int64 can address.
func TestSummarizeSkipsHostileEvents(t *testing.T) {
	good := []Event{
		{Time: 10, Latency: 20, Sector: 0, Bytes: 4096, Op: OpRead},
		{Time: 30, Latency: 20, Sector: maxSector - 8, Bytes: 4096, Op: OpRead},
	}
	f, err := ParseFile(writeEvents(t, append(hostileEvents(), good...)), "hostile")
	if err != nil {
		t.Fatalf("checksum-valid trace refused: %v", err)
	}
	s := Summarize(f, 16)
	if s.Skipped != uint64(len(hostileEvents())) || s.Events != 2 || s.Bytes != 8192 || s.Duration != 50 {
		t.Errorf("summary %+v", s)
	}
	var heat uint64
	for _, h := range s.Heat {
		heat += h
	}
	if heat != s.Bytes || len(s.Heat) != 16 {
		t.Errorf("heat map of %d slices holds %d bytes, want 16 and %d", len(s.Heat), heat, s.Bytes)
	}
	var txt bytes.Buffer
	s.WriteText(&txt, f)
	if !strings.Contains(txt.String(), "skipped 4") {
		t.Errorf("text lacks the skipped count:\n%s", txt.String())
	}
	t.Logf("\n%s", txt.String())
	if s := Summarize(f, 1<<40); len(s.Heat) != MaxHeatBuckets {
		t.Errorf("%d heat slices for 2^40 buckets, want %d", len(s.Heat), MaxHeatBuckets)
	}
}

// TestEventCheck: Check refuses each hostile event with ErrBadEvent naming its index and
// numbers, and passes ordinary ones.
func TestEventCheck(t *testing.T) {
	for i, e := range hostileEvents() {
		err := e.Check(i)
		if !errors.Is(err, ErrBadEvent) || !strings.Contains(err.Error(), "event "+string(rune('0'+i))+" (") {
			t.Errorf("%+v: %v, want ErrBadEvent naming event %d", e, err, i)
		} else {
			t.Logf("%v", err)
		}
	}
	for i, e := range sampleEvents() {
		if err := e.Check(i); err != nil {
			t.Errorf("sample event %d: %v", i, err)
		}
	}
}

// FuzzDeviceTraceSummary: whatever events a complete, checksum-valid device trace holds (the
// harness writes the header, so every mutation reaches the events), summarising and printing
// it never panics, every event is either counted or skipped, and the heat map holds exactly
// the counted bytes.
func FuzzDeviceTraceSummary(f *testing.F) {
	body := func(evs []Event) []byte { return writeEvents(f, evs)[FileHeaderSize:] }
	f.Add(body(sampleEvents()[:2]), uint8(16))
	f.Add(body(hostileEvents()[:1]), uint8(4))
	f.Add(body([]Event{{Sector: maxSector - 8, Bytes: 4096, Op: OpRead}}), uint8(255))
	head := writeEvents(f, nil)[:FileHeaderSize]
	f.Fuzz(func(t *testing.T, b []byte, buckets uint8) {
		b = b[:len(b)/FileRecordSize*FileRecordSize]
		for i := 36; i < len(b); i += FileRecordSize {
			b[i] = "RWDF"[b[i]%4] // ops the parser accepts; the rest is the fuzzer's
		}
		file := append(append([]byte(nil), head...), b...)
		binary.LittleEndian.PutUint64(file[32:], uint64(len(b)/FileRecordSize))
		binary.LittleEndian.PutUint32(file[48:], crc32.Checksum(b, crcTable))
		tr, err := ParseFile(file, "fuzz")
		if err != nil {
			t.Fatalf("checksum-valid trace refused: %v", err)
		}
		s := Summarize(tr, int(buckets))
		if s.Events+s.Skipped != uint64(len(tr.Events)) {
			t.Fatalf("%d events + %d skipped of %d", s.Events, s.Skipped, len(tr.Events))
		}
		if len(s.Heat) > 0 {
			var heat uint64
			for _, h := range s.Heat {
				heat += h
			}
			if heat != s.Bytes {
				t.Fatalf("heat map holds %d bytes, summary %d", heat, s.Bytes)
			}
		}
		s.WriteText(io.Discard, tr)
		WriteEvents(io.Discard, tr)
		WriteCSV(io.Discard, tr)
		WriteJSON(io.Discard, tr, &s)
	})
}
