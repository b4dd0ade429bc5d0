package fetch

import (
	"bytes"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/fetch/fetchtest"
	"github.com/dadi-dev/dadi/internal/vmtest"
)

// testConfig is a global config for tests: cache and credentials in the test's temp dir,
// short timeouts (scaled by DADI_TEST_TIME_SCALE).
func testConfig(t testing.TB) *GlobalConfig {
	g := DefaultGlobalConfig()
	g.CacheConfig.CacheType = "file"
	g.CacheConfig.CacheDir = t.TempDir()
	g.CacheConfig.CacheSizeMB = 64
	g.CredentialConfig = CredentialConfig{Mode: "file", Path: t.TempDir() + "/none.json"}
	g.FetchConfig.TimeoutMs = ms(5 * time.Second)
	g.FetchConfig.AttemptTimeoutMs = ms(time.Second)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	return g
}

// ms is d scaled by DADI_TEST_TIME_SCALE, in the milliseconds fetchConfig counts in.
func ms(d time.Duration) int { return int(vmtest.Scale(d).Milliseconds()) }

// logBuffer collects what a client logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTestClient(t testing.TB, g *GlobalConfig, tr http.RoundTripper) (*Client, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	c, err := NewClient(g, ClientOptions{
		Transport: tr, Backoff: 5 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, logs
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// pushed is a blob in a test registry with its bytes.
type pushed struct {
	reg  *fetchtest.Registry
	repo string
	data []byte
	ref  BlobRef
}

func pushRandom(t testing.TB, reg *fetchtest.Registry, repo string, n int, seed uint64) pushed {
	t.Helper()
	data := randomBytes(n, seed)
	d := reg.Push(repo, data)
	return pushed{reg, repo, data, BlobRef{RepoBlobURL: reg.RepoBlobURL(repo), Digest: d, Size: int64(n), Image: "test"}}
}

func openBlob(t testing.TB, c *Client, ref BlobRef) *Blob {
	t.Helper()
	b, err := c.OpenBlob(ref)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// checkRead reads [off, off+n) and compares it with want.
func checkRead(t testing.TB, b *Blob, want []byte, off int64, n int) {
	t.Helper()
	got := make([]byte, n)
	k, err := b.ReadAt(got, off)
	end := min(off+int64(n), int64(len(want)))
	if int64(k) != end-off || (err != nil && err != io.EOF) {
		t.Fatalf("ReadAt(%d, %d): %d bytes, %v", off, n, k, err)
	}
	if !bytes.Equal(got[:end-off], want[off:end]) {
		t.Fatalf("ReadAt(%d, %d): wrong bytes", off, n)
	}
}
