package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/fetch/fetchtest"
)

// remoteStack pushes layer files to reg and writes a config.v1.json whose lowers are all
// registry blobs, with recordTracePath set to trace.
func remoteStack(t testing.TB, reg *fetchtest.Registry, repo, trace string, layers ...string) string {
	t.Helper()
	dir := t.TempDir()
	var lowers []map[string]any
	for i, p := range layers {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		lowers = append(lowers, map[string]any{"dir": filepath.Join("layers", string(rune('0'+i))), "digest": reg.Push(repo, b), "size": len(b)})
	}
	b, _ := json.Marshal(map[string]any{"repoBlobUrl": reg.RepoBlobURL(repo), "lowers": lowers, "recordTracePath": trace})
	p := filepath.Join(dir, "config.v1.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestColdStartRemotePrefetch is issue 6's cold start over the real fetch path: the lowers are
// blobs in an in-process registry, each range request delayed 2 ms by the fault transport,
// read through fetch's block cache. A first start records the trace through
// recordTracePath's record mode; then the same startup runs on a fresh empty cache, once
// without prefetch and once with that trace replayed.
func TestColdStartRemotePrefetch(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	const latency = 2 * time.Millisecond
	bottom, top := twoLayerImage(t, t.TempDir())
	reads := startupReads(16 << 20)
	reg := fetchtest.New(t, fetchtest.Options{DirectBlobs: true})
	trace := filepath.Join(t.TempDir(), "startup.trace")
	cfg := remoteStack(t, reg, "coldstart/remote", trace, bottom, top)

	// start opens the image on an empty cache of its own, with 2 ms per blob request.
	start := func() (*Image, *fetchtest.Faults) {
		tr := &fetchtest.Faults{Latency: latency}
		img, err := OpenImage(cfg, OpenOptions{Fetch: remoteClient(t, remoteGlobal(t), tr), ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		return img, tr
	}

	// 1. Record: an empty trace file; removing the lock file writes the trace.
	if err := os.WriteFile(trace, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	img, _ := start()
	if mode, err := img.StartConfigPrefetch(PrefetchOptions{LockPoll: 5 * time.Millisecond}); err != nil || mode != PrefetchRecord {
		t.Fatalf("record: mode %v, err %v", mode, err)
	}
	waitFile(t, trace+".lock", false)
	tRecord := runStartup(t, img, reads)
	os.Remove(trace + ".lock")
	waitFile(t, trace+".ok", false)
	img.Close()

	// 2. Cold, no prefetch.
	os.Remove(trace + ".ok")
	img, _ = start()
	before := reg.BlobGets.Load()
	tCold := runStartup(t, img, reads)
	getsCold := reg.BlobGets.Load() - before
	img.Close()

	// 3. Cold, the recorded trace replayed by the engine as the image opens.
	img, _ = start()
	done := make(chan ReplayStats, 1)
	mode, err := img.StartConfigPrefetch(PrefetchOptions{ReplayDone: func(s ReplayStats) { done <- s }})
	if err != nil || mode != PrefetchReplay {
		t.Fatalf("replay: mode %v, err %v", mode, err)
	}
	tPrefetch := runStartup(t, img, reads)
	st := <-done
	img.Close()
	if st.Failed != 0 || st.Done != st.Records {
		t.Fatalf("replay %+v", st)
	}

	ratio := float64(tCold) / float64(tPrefetch)
	t.Logf("startup of %d reads over the registry (%v per request): recording start %v; cold %v (%d blob GETs); "+
		"cold with prefetch %v (%d records, %.1f MiB, replay took %v): %.1fx faster",
		len(reads), latency, tRecord.Round(time.Millisecond), tCold.Round(time.Millisecond), getsCold,
		tPrefetch.Round(time.Millisecond), st.Records, float64(st.Bytes)/(1<<20), st.Elapsed.Round(time.Millisecond), ratio)
	if ratio < 3 {
		t.Errorf("prefetch made the cold start only %.1fx faster, want at least 3x", ratio)
	}
}
