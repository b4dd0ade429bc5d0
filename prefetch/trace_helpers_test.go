package prefetch

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/dadi-dev/dadi/lsmt"
)

// buildTraceLayer commits a one-layer image of vsize bytes holding writes (offset -> data) to a
// read-only layer file, wrapped as o asks (ZFile, tar).
func buildTraceLayer(t testing.TB, dir, name string, vsize int64, writes map[int64][]byte, o lsmt.CommitOptions) string {
	t.Helper()
	data, idx := filepath.Join(dir, name+".data"), filepath.Join(dir, name+".index")
	if err := lsmt.CreateRW(data, idx, lsmt.CreateOptions{VirtualSize: vsize}); err != nil {
		t.Fatal(err)
	}
	rw, err := lsmt.OpenRW(data, idx, true)
	if err != nil {
		t.Fatal(err)
	}
	for off, b := range writes {
		if err := rw.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, name+".lsmt")
	if _, err := lsmt.Commit(rw, out, o); err != nil {
		t.Fatal(err)
	}
	rw.Close()
	return out
}

// pattern is len bytes that differ per offset, so a misplaced read shows.
func tracePattern(off int64, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((off + int64(i)) * 7 / 5)
	}
	return b
}

// srcSpan is a byte range of a source read.
type srcSpan struct{ off, n int64 }

// testSource is a layer blob with a delay per read, a log of reads and in-flight counts, and an
// optional cache of the bytes already read (a stand-in for fetch's block cache: cached ranges
// come back at once).
type testSource struct {
	lsmt.Source
	delay    time.Duration
	cache    bool
	mu       sync.Mutex
	log      []srcSpan
	cached   map[int64]time.Time // 4 KiB page -> when its fetch completes
	inflight atomic.Int64
	peak     atomic.Int64
}

func (s *testSource) ReadAt(p []byte, off int64) (int, error) {
	n := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for {
		pk := s.peak.Load()
		if n <= pk || s.peak.CompareAndSwap(pk, n) {
			break
		}
	}
	s.mu.Lock()
	s.log = append(s.log, srcSpan{off, int64(len(p))})
	now := time.Now()
	ready := now.Add(s.delay)
	if s.cache {
		// One fetch brings every missing page; a page another read is fetching is waited for.
		ready = now
		for pg := off / 4096; pg <= (off+int64(len(p))-1)/4096; pg++ {
			r, ok := s.cached[pg]
			if !ok {
				r = now.Add(s.delay)
				s.cached[pg] = r
			}
			ready = later(ready, r)
		}
	}
	s.mu.Unlock()
	time.Sleep(time.Until(ready))
	return s.Source.ReadAt(p, off)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (s *testSource) reads() []srcSpan {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]srcSpan(nil), s.log...)
}

func (s *testSource) resetLog() {
	s.mu.Lock()
	s.log = nil
	s.mu.Unlock()
}

// openTestImage opens layer files bottom first, each through a testSource.
func openTestImage(t testing.TB, delay time.Duration, cache bool, paths ...string) (*engine.Image, []*testSource) {
	t.Helper()
	var lowers []*lsmt.ROLayer
	var srcs []*testSource
	for _, p := range paths {
		fs, err := lsmt.OpenFileSource(p)
		if err != nil {
			t.Fatal(err)
		}
		s := &testSource{Source: fs, delay: delay, cache: cache, cached: map[int64]time.Time{}}
		l, err := lsmt.OpenLayer(s)
		if err != nil {
			t.Fatal(err)
		}
		s.resetLog()
		lowers = append(lowers, l)
		srcs = append(srcs, s)
	}
	img, err := engine.NewImage(lowers, nil)
	if err != nil {
		t.Fatal(err)
	}
	return img, srcs
}

// waitFile waits up to vmtest.Scale(30 s) for path to exist (or, with gone, to vanish).
func waitFile(t testing.TB, path string, gone bool) {
	t.Helper()
	if !vmtest.Poll(30*time.Second, 5*time.Millisecond, func() bool { _, err := os.Stat(path); return (err == nil) != gone }) {
		t.Fatalf("%s: still %v after %s", path, map[bool]string{true: "there", false: "missing"}[gone], vmtest.Scale(30*time.Second))
	}
}
