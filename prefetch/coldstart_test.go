package prefetch

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/internal/vmtest"
)

// startupReads is a container "startup": a fixed set of files, scattered over the disk, read
// one after another in 64 KiB requests as the kernel's readahead would issue them.
func startupReads(disk int64) []DeviceRead {
	rng := rand.New(rand.NewPCG(1, 2))
	var reads []DeviceRead
	for range 120 {
		size := int64(4096 * (1 + rng.IntN(32))) // 4-128 KiB files
		off := rng.Int64N((disk-size)/4096) * 4096
		for o := int64(0); o < size; o += 64 << 10 {
			reads = append(reads, DeviceRead{off + o, min(64<<10, size-o)})
		}
	}
	return reads
}

func runStartup(t testing.TB, img *engine.Image, reads []DeviceRead) time.Duration {
	buf := make([]byte, 64<<10)
	start := time.Now()
	for _, r := range reads {
		if _, err := img.ReadAt(buf[:r.Length], r.Offset); err != nil {
			t.Fatal(err)
		}
	}
	return time.Since(start)
}

// replayWait bounds a replay of the startup trace (before vmtest.Scale); it takes well under a
// second unloaded.
const replayWait = time.Minute

// waitReplay waits for the replay's figures.
func waitReplay(t testing.TB, done <-chan ReplayStats) ReplayStats {
	t.Helper()
	select {
	case st := <-done:
		if st.Failed != 0 || st.Done != st.Records || st.Stopped {
			t.Fatalf("replay %+v", st)
		}
		return st
	case <-time.After(vmtest.Scale(replayWait)):
		t.Fatalf("replay did not end in %s", vmtest.Scale(replayWait))
		return ReplayStats{}
	}
}

// fetchedPages is how many 4 KiB pages the sources have fetched (their stand-in cache).
func fetchedPages(srcs []*testSource) int {
	n := 0
	for _, s := range srcs {
		s.mu.Lock()
		n += len(s.cached)
		s.mu.Unlock()
	}
	return n
}

// recordStartup runs the startup on an image without latency and returns the trace made of it.
func recordStartup(t testing.TB, reads []DeviceRead, layers ...string) []TraceRecord {
	img, _ := openTestImage(t, 0, true, layers...)
	rec := StartRecording(img)
	runStartup(t, img, reads)
	recs, err := TraceFromReads(img, rec.Stop())
	img.Close()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestColdStartPrefetch: a cold start of an image whose layer blobs are remote (a fetch of
// missing bytes takes 2 ms, fetched bytes are cached), with the trace recorded on an earlier
// start replayed first. This is the Go-level stand-in for the registry set-up of fetch/: same
// code path from trace to layer blob reads, an artificial-latency source in place of HTTP.
// What it asserts is deterministic, whatever the machine's load: once the replay is done, the
// startup's demand reads fetch nothing from the sources. How much faster that makes a start is
// timing, measured by BenchmarkColdStartPrefetch.
func TestColdStartPrefetch(t *testing.T) {
	const latency = 2 * time.Millisecond
	bottom, top := twoLayerImage(t, t.TempDir())
	reads := startupReads(16 << 20)
	recs := recordStartup(t, reads, bottom, top)

	cold, srcs := openTestImage(t, latency, true, bottom, top)
	runStartup(t, cold, reads)
	cold.Close()
	if fetchedPages(srcs) == 0 {
		t.Fatal("the cold startup fetched nothing: the test proves nothing")
	}

	warm, srcs := openTestImage(t, latency, true, bottom, top)
	defer warm.Close()
	done := make(chan ReplayStats, 1)
	Replay(warm, recs, DefaultPrefetchConcurrency, nil, func(s ReplayStats) { done <- s })
	st := waitReplay(t, done)
	prefetched := fetchedPages(srcs)
	runStartup(t, warm, reads)
	if demand := fetchedPages(srcs) - prefetched; demand != 0 {
		t.Errorf("%d pages fetched on demand after the replay of %d records (%d pages) ended", demand, st.Records, prefetched)
	}
}

// BenchmarkColdStartPrefetch reports how much faster the startup runs with the recorded trace
// replayed beside it (as a container start does) than cold: x-faster, several times (11x on
// the 2-core development machine, loaded). A timing ratio; no test asserts it.
func BenchmarkColdStartPrefetch(b *testing.B) {
	const latency = 2 * time.Millisecond
	bottom, top := twoLayerImage(b, b.TempDir())
	reads := startupReads(16 << 20)
	recs := recordStartup(b, reads, bottom, top)
	var tCold, tPrefetch time.Duration
	for b.Loop() {
		cold, _ := openTestImage(b, latency, true, bottom, top)
		tCold += runStartup(b, cold, reads)
		cold.Close()
		warm, _ := openTestImage(b, latency, true, bottom, top)
		done := make(chan ReplayStats, 1)
		Replay(warm, recs, DefaultPrefetchConcurrency, nil, func(s ReplayStats) { done <- s })
		tPrefetch += runStartup(b, warm, reads)
		waitReplay(b, done)
		warm.Close()
	}
	b.ReportMetric(float64(tCold)/float64(tPrefetch), "x-faster")
}
