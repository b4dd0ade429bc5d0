package imagetest

import (
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/fetch"
)

// FetchClient is a fetch client for g whose requests go through tr (an in-process registry,
// a fault transport), with short backoff and no log; it is closed when the test ends.
func FetchClient(t testing.TB, g *fetch.GlobalConfig, tr http.RoundTripper) *fetch.Client {
	t.Helper()
	c, err := fetch.NewClient(g, fetch.ClientOptions{Transport: tr, Backoff: 5 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// GlobalConfig is a node config for a test: a block cache in a temporary directory, no
// credentials, and fetch deadlines short enough for a test to see a failure.
func GlobalConfig(t testing.TB) *fetch.GlobalConfig {
	g := fetch.DefaultGlobalConfig()
	g.CacheConfig.CacheType = "file"
	g.CacheConfig.CacheDir = t.TempDir()
	g.CacheConfig.CacheSizeMB = 256
	g.CredentialConfig = fetch.CredentialConfig{Mode: "file", Path: filepath.Join(t.TempDir(), "none.json")}
	g.FetchConfig.TimeoutMs, g.FetchConfig.AttemptTimeoutMs = 5000, 1000
	return g
}
