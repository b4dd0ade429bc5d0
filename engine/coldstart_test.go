package engine

import (
	"math/rand/v2"
	"testing"
	"time"
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

func runStartup(t testing.TB, img *Image, reads []DeviceRead) time.Duration {
	buf := make([]byte, 64<<10)
	start := time.Now()
	for _, r := range reads {
		if _, err := img.ReadAt(buf[:r.Length], r.Offset); err != nil {
			t.Fatal(err)
		}
	}
	return time.Since(start)
}

// TestColdStartPrefetch measures a cold start of an image whose layer blobs are remote (each
// fetch of missing bytes takes 2 ms, fetched bytes are cached), without prefetch and with the
// trace recorded on an earlier start. This is the Go-level stand-in for the registry set-up
// of fetch/: same code path from trace to layer blob reads, an artificial-latency source in
// place of HTTP.
func TestColdStartPrefetch(t *testing.T) {
	const latency = 2 * time.Millisecond
	bottom, top := twoLayerImage(t, t.TempDir())
	reads := startupReads(16 << 20)

	rec, _ := openTestImage(t, 0, true, bottom, top)
	rec.StartRecording()
	runStartup(t, rec, reads)
	recs, err := rec.TraceFromReads(rec.StopRecording())
	rec.Close()
	if err != nil {
		t.Fatal(err)
	}

	cold, srcs := openTestImage(t, latency, true, bottom, top)
	tCold := runStartup(t, cold, reads)
	cold.Close()
	fetchesCold := len(srcs[0].reads()) + len(srcs[1].reads())

	warm, _ := openTestImage(t, latency, true, bottom, top)
	done := make(chan ReplayStats, 1)
	warm.Replay(recs, DefaultPrefetchConcurrency, nil, func(s ReplayStats) { done <- s })
	tPrefetch := runStartup(t, warm, reads)
	st := <-done
	warm.Close()

	ratio := float64(tCold) / float64(tPrefetch)
	t.Logf("startup of %d reads, %d source fetches cold: cold %v, with prefetch (%d records, replay took %v) %v: %.1fx faster",
		len(reads), fetchesCold, tCold.Round(time.Millisecond), len(recs), st.Elapsed.Round(time.Millisecond), tPrefetch.Round(time.Millisecond), ratio)
	if ratio < 3 {
		t.Errorf("prefetch made the cold start only %.1fx faster, want at least 3x", ratio)
	}
}
