package ebpf

import (
	"bytes"
	"errors"
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
