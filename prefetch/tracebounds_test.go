package prefetch

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/dadi-dev/dadi/lsmt"
)

// hostileRecords are checksum-valid records that no image can hold, each of which crashed or
// misled a tool before records were checked: a negative offset (an index out of range in the
// summary's heat map), an end past int64, a read of no bytes or of more than TraceMaxIO, an
// unknown op.
func hostileRecords() []TraceRecord {
	return []TraceRecord{
		{TraceRead, 0, 4096, -4096},
		{TraceRead, 0, 4096, math.MaxInt64 - 100},
		{TraceWrite, 1, math.MaxUint64, 0},
		{TraceRead, 0, 0, 4096},
		{TraceRead, 0, TraceMaxIO + 1, 0},
		{'X', 0, 4096, 0},
	}
}

// TestSummarizeTraceSkipsHostile: `dadi trace show`'s summary skips and counts records no image
// can hold instead of panicking, keeps the rest, and its heat map holds the kept bytes even
// for a read that ends at the top of int64 (where the old step arithmetic wrapped).
func TestSummarizeTraceSkipsHostile(t *testing.T) {
	good := []TraceRecord{{TraceRead, 0, 4096, 0}, {TraceRead, 2, 4096, math.MaxInt64 - 4096}}
	recs := append(hostileRecords(), good...)
	b := EncodeTrace(recs)
	parsed, err := ParseTrace(b, "hostile")
	if err != nil {
		t.Fatalf("checksum-valid trace refused by the parser: %v", err)
	}
	s := SummarizeTrace(parsed)
	if s.Skipped != len(hostileRecords()) || s.Records != len(good) || s.Bytes != 8192 {
		t.Errorf("summary: %d records, %d skipped, %d bytes; want 2, %d, 8192", s.Records, s.Skipped, s.Bytes, len(hostileRecords()))
	}
	var out bytes.Buffer
	s.WriteText(&out, 16)
	txt := out.String()
	if !strings.Contains(txt, "skipped 6 records") || !strings.Contains(txt, "layer 2: 1 records, 4096 bytes") {
		t.Errorf("text:\n%s", txt)
	}
	t.Logf("\n%s", txt)
	if got := strings.Count(txt, "\n  "); got != 32 {
		t.Errorf("%d heat map rows, want 16 per layer", got)
	}
	// The row count is bounded whatever the caller asks.
	out.Reset()
	s.WriteText(&out, 1<<40)
	if got := strings.Count(out.String(), "\n  "); got != 2*MaxTraceBuckets {
		t.Errorf("%d heat map rows for 2^40 buckets, want %d", got, 2*MaxTraceBuckets)
	}
}

// TestCheckTraceNamesHostile: replay refuses each hostile record with ErrBadTrace, naming its
// index and values.
func TestCheckTraceNamesHostile(t *testing.T) {
	sizes := []int64{math.MaxInt64, 1 << 20}
	for _, r := range hostileRecords() {
		err := CheckTrace([]TraceRecord{{TraceRead, 0, 512, 0}, r}, sizes, "t")
		if !errors.Is(err, ErrBadTrace) || !strings.Contains(err.Error(), "record 1 (") {
			t.Errorf("%+v: err %v, want ErrBadTrace naming record 1", r, err)
		} else {
			t.Logf("%v", err)
		}
	}
}

// TestReplayRefusesOutOfImage: Replay checks its records itself, so records that never went
// through CheckTrace (a layer the stack lacks, a read past a blob, more than TraceMaxIO) are
// an error and nothing is read, instead of a panic in a worker.
func TestReplayRefusesOutOfImage(t *testing.T) {
	dir := t.TempDir()
	l := buildTraceLayer(t, dir, "l0", 1<<20, map[int64][]byte{0: tracePattern(0, 65536)}, lsmt.CommitOptions{})
	img, srcs := openTestImage(t, 0, false, l)
	defer img.Close()
	blob := BlobSizes(img)[0]
	for _, r := range []TraceRecord{
		{TraceRead, 1, 4096, 0},
		{TraceRead, 0, 4096, blob},
		{TraceRead, 0, TraceMaxIO * 2, 0},
		{TraceRead, 0, 4096, -4096},
	} {
		done := false
		err := Replay(img, []TraceRecord{{TraceRead, 0, 512, 0}, r}, 2, nil, func(ReplayStats) { done = true })
		if !errors.Is(err, ErrBadTrace) || done {
			t.Errorf("%+v: err %v, done %v; want ErrBadTrace and no replay", r, err, done)
		}
	}
	img.Close()
	if n := len(srcs[0].reads()); n != 0 {
		t.Errorf("%d blob reads from refused replays", n)
	}
}

// TestTraceFromReadsOutOfImage: device reads outside the disk, or whose end overflows int64,
// are an ErrBadTrace error naming the read (they were clipped or dropped without a word).
func TestTraceFromReadsOutOfImage(t *testing.T) {
	dir := t.TempDir()
	l := buildTraceLayer(t, dir, "l0", 1<<20, map[int64][]byte{0: tracePattern(0, 65536)}, lsmt.CommitOptions{})
	img, _ := openTestImage(t, 0, false, l)
	defer img.Close()
	if recs, err := TraceFromReads(img, []DeviceRead{{0, 4096}, {1<<20 - 4096, 4096}}); err != nil || len(recs) == 0 {
		t.Fatalf("reads inside the disk: %v, %d records", err, len(recs))
	}
	for _, r := range []DeviceRead{
		{-512, 4096},
		{1<<20 - 512, 4096},
		{1 << 20, 512},
		{math.MaxInt64 - 100, 4096},
		{0, -1},
		{math.MinInt64, 512},
	} {
		_, err := TraceFromReads(img, []DeviceRead{{0, 512}, r})
		if !errors.Is(err, ErrBadTrace) || !strings.Contains(err.Error(), "read 1 (") {
			t.Errorf("%+v: err %v, want ErrBadTrace naming read 1", r, err)
		} else {
			t.Logf("%v", err)
		}
	}
}

// TestRecordingSkipsReadsPastTheDisk: a demand read beyond the disk fails and is not kept, so
// it cannot spoil the recorded trace.
func TestRecordingSkipsReadsPastTheDisk(t *testing.T) {
	dir := t.TempDir()
	l := buildTraceLayer(t, dir, "l0", 1<<20, map[int64][]byte{0: tracePattern(0, 65536)}, lsmt.CommitOptions{})
	img, _ := openTestImage(t, 0, false, l)
	defer img.Close()
	rec := StartRecording(img)
	buf := make([]byte, 4096)
	img.ReadAt(buf, 1<<20)
	img.ReadAt(buf, 1<<20-2048)
	if _, err := img.ReadAt(buf, 0); err != nil {
		t.Fatal(err)
	}
	reads := rec.Stop()
	if len(reads) != 1 || reads[0] != (DeviceRead{0, 4096}) {
		t.Errorf("recorded %+v, want only the read inside the disk", reads)
	}
	if _, err := TraceFromReads(img, reads); err != nil {
		t.Error(err)
	}
}
