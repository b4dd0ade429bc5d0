package prefetch

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/fetch/fetchtest"
	"github.com/dadi-dev/dadi/internal/imagetest"
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

// remoteColdStart is issue 6's cold start over the real fetch path: the lowers are blobs in an
// in-process registry, each range request delayed 2 ms by the fault transport, read through
// fetch's block cache. A first start records the trace through recordTracePath's record mode.
type remoteColdStart struct {
	reg   *fetchtest.Registry
	cfg   string
	reads []DeviceRead
	start func() *engine.Image // the image on an empty cache of its own
}

func newRemoteColdStart(t testing.TB) *remoteColdStart {
	const latency = 2 * time.Millisecond
	bottom, top := twoLayerImage(t, t.TempDir())
	r := &remoteColdStart{reads: startupReads(16 << 20), reg: fetchtest.New(t, fetchtest.Options{DirectBlobs: true})}
	trace := filepath.Join(t.TempDir(), "startup.trace")
	r.cfg = remoteStack(t, r.reg, "coldstart/remote", trace, bottom, top)
	r.start = func() *engine.Image {
		tr := &fetchtest.Faults{Latency: latency}
		img, err := engine.OpenImage(r.cfg, engine.OpenOptions{Fetch: imagetest.FetchClient(t, imagetest.GlobalConfig(t), tr), ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	// Record: an empty trace file; removing the lock file writes the trace.
	if err := os.WriteFile(trace, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	img := r.start()
	if mode, err := StartConfig(img, PrefetchOptions{LockPoll: 5 * time.Millisecond}); err != nil || mode != PrefetchRecord {
		t.Fatalf("record: mode %v, err %v", mode, err)
	}
	waitFile(t, trace+".lock", false)
	runStartup(t, img, r.reads)
	os.Remove(trace + ".lock")
	waitFile(t, trace+".ok", false)
	img.Close()
	os.Remove(trace + ".ok") // the next starts replay it
	return r
}

// replay opens the image with the recorded trace replayed by the engine as it opens.
func (r *remoteColdStart) replay(t testing.TB) (*engine.Image, <-chan ReplayStats) {
	img := r.start()
	done := make(chan ReplayStats, 1)
	mode, err := StartConfig(img, PrefetchOptions{ReplayDone: func(s ReplayStats) { done <- s }})
	if err != nil || mode != PrefetchReplay {
		t.Fatalf("replay: mode %v, err %v", mode, err)
	}
	return img, done
}

// TestColdStartRemotePrefetch: on a fresh empty cache, the cold startup asks the registry for
// blobs; with the recorded trace replayed first, not one demand read of the same startup
// reaches the registry (counted on the server). Deterministic under any load; the speed-up is
// BenchmarkColdStartRemotePrefetch's.
func TestColdStartRemotePrefetch(t *testing.T) {
	r := newRemoteColdStart(t)

	img := r.start()
	before := r.reg.BlobGets.Load()
	runStartup(t, img, r.reads)
	getsCold := r.reg.BlobGets.Load() - before
	img.Close()
	if getsCold == 0 {
		t.Fatal("the cold startup asked the registry for nothing: the test proves nothing")
	}

	img, done := r.replay(t)
	defer img.Close()
	st := waitReplay(t, done)
	before = r.reg.BlobGets.Load()
	runStartup(t, img, r.reads)
	if demand := r.reg.BlobGets.Load() - before; demand != 0 {
		t.Errorf("%d blob GETs reached the registry on demand after the replay of %d records (%.1f MiB) ended; cold: %d",
			demand, st.Records, float64(st.Bytes)/(1<<20), getsCold)
	}
	t.Logf("startup of %d reads: cold %d blob GETs; after the replay of %d records (%.1f MiB): 0",
		len(r.reads), getsCold, st.Records, float64(st.Bytes)/(1<<20))
}

// BenchmarkColdStartRemotePrefetch reports how much faster the startup over the registry runs
// with the trace replayed beside it (as a container start does) than cold: x-faster, about 5
// on the 2-core development machine. A timing ratio; no test asserts it.
func BenchmarkColdStartRemotePrefetch(b *testing.B) {
	r := newRemoteColdStart(b)
	var tCold, tPrefetch time.Duration
	for b.Loop() {
		img := r.start()
		tCold += runStartup(b, img, r.reads)
		img.Close()
		img, done := r.replay(b)
		tPrefetch += runStartup(b, img, r.reads)
		waitReplay(b, done)
		img.Close()
	}
	b.ReportMetric(float64(tCold)/float64(tPrefetch), "x-faster")
}
