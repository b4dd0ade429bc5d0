package prefetch

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/zfile"
)

// twoLayerImage: a plain bottom layer and a ZFile layer in overlaybd's tar on top, each with
// data scattered over a 16 MiB disk, the top hiding part of the bottom.
func twoLayerImage(t testing.TB, dir string) (bottom, top string) {
	t.Helper()
	w0, w1 := map[int64][]byte{}, map[int64][]byte{}
	for i := int64(0); i < 64; i++ {
		w0[i*256<<10] = tracePattern(i*256<<10, 64<<10)
		if i%3 == 0 {
			w1[i*256<<10+32<<10] = tracePattern(-i, 64<<10)
		}
	}
	bottom = buildTraceLayer(t, dir, "l0", 16<<20, w0, lsmt.CommitOptions{})
	top = buildTraceLayer(t, dir, "l1", 16<<20, w1, lsmt.CommitOptions{Compress: true, Tar: true, ZFile: zfile.Options{}})
	return bottom, top
}

// TestTraceFromReadsCoversDemand: replaying the trace made from some device reads reads, from
// each layer blob, at least every byte those demand reads needed from it.
func TestTraceFromReadsCoversDemand(t *testing.T) {
	bottom, top := twoLayerImage(t, t.TempDir())
	img, srcs := openTestImage(t, 0, false, bottom, top)
	defer img.Close()
	var reads []DeviceRead
	buf := make([]byte, 256<<10)
	for _, r := range []DeviceRead{{0, 4096}, {256<<10 + 16<<10, 64 << 10}, {3 * 256 << 10, 128 << 10}, {15 << 20, 256 << 10}, {9 * 256 << 10, 8192}} {
		if _, err := img.ReadAt(buf[:r.Length], r.Offset); err != nil {
			t.Fatal(err)
		}
		reads = append(reads, r)
	}
	demand := [][]srcSpan{srcs[0].reads(), srcs[1].reads()}
	recs, err := TraceFromReads(img, reads)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckTrace(recs, BlobSizes(img), "t"); err != nil {
		t.Fatal(err)
	}
	for li, d := range demand {
		for _, r := range d {
			covered := false
			for _, rec := range recs {
				if int(rec.Layer) == li && rec.Offset <= r.off && r.off+r.n <= rec.Offset+int64(rec.Count) {
					covered = true
				}
			}
			if !covered {
				t.Errorf("layer %d: demand read %d+%d is in no record of %+v", li, r.off, r.n, recs)
			}
		}
	}
	t.Logf("%d device reads -> %d records", len(reads), len(recs))
}

// TestReplayReadsAndStops: replay reads every record from the blobs; closing the image in the
// middle stops it promptly.
func TestReplayReadsAndStops(t *testing.T) {
	bottom, top := twoLayerImage(t, t.TempDir())
	img, srcs := openTestImage(t, 0, false, bottom, top)
	recs := []TraceRecord{{TraceRead, 0, 4096, 4096}, {TraceRead, 1, 8192, 512}, {TraceRead, 0, 1 << 20, 1 << 20}}
	done := make(chan ReplayStats, 1)
	Replay(img, recs, 2, nil, func(s ReplayStats) { done <- s })
	st := <-done
	if st.Done != 3 || st.Failed != 0 || st.Bytes != 4096+8192+1<<20 {
		t.Fatalf("replay stats %+v", st)
	}
	got := append(srcs[0].reads(), srcs[1].reads()...)
	if len(got) != 3 {
		t.Fatalf("source reads %v, want the 3 records", got)
	}
	img.Close()

	img, _ = openTestImage(t, 20*time.Millisecond, false, bottom, top)
	many := make([]TraceRecord, 500)
	for i := range many {
		many[i] = TraceRecord{TraceRead, 0, 4096, int64(i) * 4096}
	}
	Replay(img, many, 4, nil, func(s ReplayStats) { done <- s })
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	img.Close()
	st = <-done
	if !st.Stopped || st.Done >= len(many) || time.Since(start) > vmtest.Scale(time.Second) {
		t.Fatalf("close mid-replay: %+v after %v", st, time.Since(start))
	}
	t.Logf("stopped after %d of %d records, close took %v", st.Done, len(many), time.Since(start))
}

// TestReplayYieldsToDemand: while demand reads are in flight, prefetch keeps the reads at the
// sources within its concurrency, leaving the room to demand.
func TestReplayYieldsToDemand(t *testing.T) {
	bottom, top := twoLayerImage(t, t.TempDir())
	img, srcs := openTestImage(t, 5*time.Millisecond, false, bottom, top)
	defer img.Close()
	many := make([]TraceRecord, 400)
	for i := range many {
		many[i] = TraceRecord{TraceRead, 0, 4096, int64(i%200) * 4096}
	}
	const conc = 4
	done := make(chan ReplayStats, 1)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 4096)
			for {
				select {
				case <-stop:
					return
				default:
				}
				img.ReadAt(buf, 0)
			}
		}()
	}
	time.Sleep(10 * time.Millisecond)
	Replay(img, many, conc, nil, func(s ReplayStats) { done <- s })
	st := <-done
	close(stop)
	wg.Wait()
	if st.Done != len(many) {
		t.Fatalf("replay %+v", st)
	}
	// Two demand readers and conc prefetch workers: at most conc reads at the source, plus one
	// for the moment between a demand read ending and the next one starting.
	if pk := srcs[0].peak.Load(); pk > conc+1 {
		t.Errorf("peak %d reads in flight at the source, want at most %d", pk, conc+1)
	}
}

// TestRecordModeHandshake: an empty recordTracePath records; removing PATH.lock writes the
// trace, then PATH.ok; the next open replays exactly that trace.
func TestRecordModeHandshake(t *testing.T) {
	dir := t.TempDir()
	bottom, top := twoLayerImage(t, dir)
	path := filepath.Join(dir, "trace")
	os.WriteFile(path, nil, 0o644)
	img, _ := openTestImage(t, 0, false, bottom, top)
	mode, err := Start(img, path, PrefetchOptions{LockPoll: 10 * time.Millisecond})
	if err != nil || mode != PrefetchRecord {
		t.Fatalf("mode %v err %v", mode, err)
	}
	waitFile(t, path+".lock", false)
	buf := make([]byte, 64<<10)
	reads := []DeviceRead{{0, 4096}, {3 * 256 << 10, 64 << 10}, {5 << 20, 8192}}
	for _, r := range reads {
		img.ReadAt(buf[:r.Length], r.Offset)
	}
	want, err := TraceFromReads(img, reads)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path + ".lock")
	waitFile(t, path+".ok", false)
	img.ReadAt(buf[:4096], 8<<20) // after the dump: not recorded
	img.Close()
	b, _ := os.ReadFile(path)
	got, err := ParseTrace(b, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("recorded %+v, want %+v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("record %d: %+v, want %+v", i, got[i], want[i])
		}
	}

	img, srcs := openTestImage(t, 0, false, bottom, top)
	done := make(chan ReplayStats, 1)
	mode, err = Start(img, path, PrefetchOptions{ReplayDone: func(s ReplayStats) { done <- s }})
	if err != nil || mode != PrefetchReplay {
		t.Fatalf("second open: mode %v err %v", mode, err)
	}
	if st := <-done; st.Done != len(want) {
		t.Fatalf("replayed %+v, want %d records", st, len(want))
	}
	if n := len(srcs[0].reads()) + len(srcs[1].reads()); n != len(want) {
		t.Errorf("%d source reads, want %d", n, len(want))
	}
	img.Close()
}

// TestRecordModeDumpsOnClose: closing the image while recording writes the trace and the ok
// file and removes the lock, as overlaybd's destructor does.
func TestRecordModeDumpsOnClose(t *testing.T) {
	dir := t.TempDir()
	bottom, _ := twoLayerImage(t, dir)
	path := filepath.Join(dir, "trace")
	os.WriteFile(path, nil, 0o644)
	img, _ := openTestImage(t, 0, false, bottom)
	if _, err := Start(img, path, PrefetchOptions{}); err != nil {
		t.Fatal(err)
	}
	img.ReadAt(make([]byte, 4096), 0)
	img.Close()
	if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
		t.Errorf("lock file still there: %v", err)
	}
	if _, err := os.Stat(path + ".ok"); err != nil {
		t.Error(err)
	}
	b, _ := os.ReadFile(path)
	if recs, err := ParseTrace(b, path); err != nil || len(recs) != 1 {
		t.Fatalf("trace %+v, %v", recs, err)
	}
}
