package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/fetch"
	"github.com/dadi-dev/dadi/fetch/fetchtest"
	"github.com/dadi-dev/dadi/index"
	"github.com/dadi-dev/dadi/internal/fixtures"
	"github.com/dadi-dev/dadi/internal/imagetest"
	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/ublk"
)

// remoteFixture pushes a fixture's layers to reg and writes a config.v1.json whose lowers are
// all `{dir, digest, size}` with the registry's repoBlobUrl.
func remoteFixture(t testing.TB, reg *fetchtest.Registry, m *fixtures.Manifest, name string, download string) (string, fixtures.Fixture) {
	t.Helper()
	var fx fixtures.Fixture
	for _, f := range m.Fixtures {
		if f.Name == name {
			fx = f
		}
	}
	if fx.Name == "" {
		t.Fatalf("no fixture %s", name)
	}
	dir := t.TempDir()
	cfg := map[string]any{"repoBlobUrl": reg.RepoBlobURL("fixtures/" + strings.ToLower(name))}
	var lowers []map[string]any
	for i, l := range fx.Layers {
		b, err := os.ReadFile(m.Path(l.File))
		if err != nil {
			t.Fatal(err)
		}
		d := reg.Push("fixtures/"+strings.ToLower(name), b)
		lowers = append(lowers, map[string]any{"dir": fmt.Sprintf("layers/%d", i), "digest": d, "size": len(b)})
	}
	cfg["lowers"] = lowers
	if download != "" {
		cfg["download"] = json.RawMessage(download)
	}
	b, _ := json.Marshal(cfg)
	p := filepath.Join(dir, "config.v1.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, fx
}

// Fixture stacks served from a registry read exactly like the local files: plain LSMT, ZFile
// (LZ4, zstd), overlaybd's tar wrapper; then, on a warm cache, without a single request.
func TestRemoteFixtureStacks(t *testing.T) {
	m := fixtures.Load(t)
	reg := fetchtest.New(t, fetchtest.Options{})
	g := imagetest.GlobalConfig(t)
	for _, name := range []string{"A-lsmt-L0-L1-L2", "A-mixed-zstd-lsmt-lz4", "A-tar-zfile-L0", "Z-zfile-zstd-64k-crc"} {
		t.Run(name, func(t *testing.T) {
			cfg, fx := remoteFixture(t, reg, m, name, "")
			img, err := OpenImage(cfg, OpenOptions{Global: g})
			if err != nil {
				t.Fatal(err)
			}
			if got := hashImage(t, img); got != fx.ExpectedSHA256 {
				t.Fatalf("sha256 %s, want %s", got, fx.ExpectedSHA256)
			}
			img.Close()
			before := reg.BlobGets.Load()
			img, err = OpenImage(cfg, OpenOptions{Global: g})
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			if got := hashImage(t, img); got != fx.ExpectedSHA256 {
				t.Fatalf("warm: sha256 %s, want %s", got, fx.ExpectedSHA256)
			}
			if n := reg.BlobGets.Load() - before; n != 0 {
				t.Fatalf("warm cache: %d registry requests", n)
			}
		})
	}
}

// Bytes damaged on the network are caught by the ZFile block CRCs: the damaged blocks are
// fetched again and the image reads right; when the damage does not stop, reads fail (EIO)
// and never return wrong bytes.
func TestRemoteWrongBytes(t *testing.T) {
	m := fixtures.Load(t)
	reg := fetchtest.New(t, fetchtest.Options{})
	cfg, fx := remoteFixture(t, reg, m, "A-zfile-lz4-4k-crc", "")

	// Damage in every third response for a while.
	tr := &fetchtest.Faults{Plan: func(n int64, _ *http.Request) fetchtest.Fault {
		if n < 60 && n%3 == 2 {
			return fetchtest.WrongBytes
		}
		return fetchtest.Pass
	}}
	g := imagetest.GlobalConfig(t)
	g.CacheConfig.BlockSize = 4096 // many small requests: many chances to damage one
	c := imagetest.FetchClient(t, g, tr)
	img, err := OpenImage(cfg, OpenOptions{Global: g, Fetch: c})
	if err != nil {
		t.Fatal(err)
	}
	if got := hashImage(t, img); got != fx.ExpectedSHA256 {
		t.Fatalf("sha256 %s, want %s", got, fx.ExpectedSHA256)
	}
	img.Close()
	if tr.Count(fetchtest.WrongBytes) == 0 {
		t.Fatal("no damage injected")
	}

	// Damage in every response: reads fail, and whatever a read returns is right.
	g = imagetest.GlobalConfig(t)
	ok := &fetchtest.Faults{}
	img0, err := OpenImage(cfg, OpenOptions{Global: g, Fetch: imagetest.FetchClient(t, g, ok)})
	if err != nil {
		t.Fatal(err) // header and index, fetched cleanly
	}
	img0.Close()
	ok.Plan = fetchtest.Always(fetchtest.WrongBytes)
	c = imagetest.FetchClient(t, g, ok)
	img, err = OpenImage(cfg, OpenOptions{Global: g, Fetch: c})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	local := openFixture(t, m, fx)
	defer local.Close()
	buf, want := make([]byte, 65536), make([]byte, 65536)
	failed := 0
	for off := int64(0); off < 4<<20; off += 65536 {
		if _, err := local.ReadAt(want, off); err != nil {
			t.Fatal(err)
		}
		if _, err := img.ReadAt(buf, off); err != nil {
			if ublk.Result(err) != -5 {
				t.Fatalf("read error %v is not EIO", err)
			}
			failed++
			continue
		}
		if string(buf) != string(want) {
			t.Fatalf("wrong bytes returned at %d", off)
		}
	}
	if failed == 0 {
		t.Fatal("every read succeeded through permanent damage")
	}
}

// A registry that hangs fails reads in bounded time with EIO, while reads of cached data go on.
func TestRemoteHungRegistry(t *testing.T) {
	m := fixtures.Load(t)
	reg := fetchtest.New(t, fetchtest.Options{})
	cfg, fx := remoteFixture(t, reg, m, "A-lsmt-L0", "")
	var hang sync.Map
	tr := &fetchtest.Faults{Plan: func(int64, *http.Request) fetchtest.Fault {
		if _, ok := hang.Load("on"); ok {
			return fetchtest.Hang
		}
		return fetchtest.Pass
	}}
	g := imagetest.GlobalConfig(t)
	total := vmtest.Scale(1500 * time.Millisecond)
	g.FetchConfig.AttemptTimeoutMs, g.FetchConfig.TimeoutMs = int(vmtest.Scale(300*time.Millisecond).Milliseconds()), int(total.Milliseconds())
	img, err := OpenImage(cfg, OpenOptions{Global: g, Fetch: imagetest.FetchClient(t, g, tr)})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	local := openFixture(t, m, fx)
	defer local.Close()
	// Find a mapped range and read it once so it is cached.
	buf := make([]byte, 4096)
	cached := findData(t, local, 0)
	if _, err := img.ReadAt(buf, cached); err != nil {
		t.Fatal(err)
	}
	hang.Store("on", true)
	uncached := findData(t, local, cached+(4<<20))
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := img.ReadAt(make([]byte, 4096), uncached)
		done <- err
	}()
	// Meanwhile the cached range reads at once.
	for range 20 {
		if _, err := img.ReadAt(buf, cached); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > total/3 {
		t.Fatalf("cached reads beside a hung one took %s; the hung one waits %s", d, total)
	}
	err = <-done
	if err == nil || ublk.Result(err) != -5 || !errors.Is(err, fetch.ErrFetch) {
		t.Fatalf("hung registry: %v, want an EIO fetch error", err)
	}
	if d := time.Since(start); d > 2*total {
		t.Fatalf("hung read failed after %s, the bound is %s", d, total)
	}
}

// findData is the first 4 KiB-aligned offset from off that a layer maps.
func findData(t testing.TB, img *Image, off int64) int64 {
	for ; off < img.Size(); off += 4096 {
		ext := img.Merged().Lookup(uint64(off)/lsmt.SectorSize, 8, nil)
		if len(ext) == 1 && ext[0].Kind == index.Data {
			return off
		}
	}
	t.Fatal("no mapped data")
	return 0
}

// Background download from the image config: the layers end up in their dirs, verified, and
// the image reads them locally from then on.
func TestRemoteBackgroundDownload(t *testing.T) {
	m := fixtures.Load(t)
	reg := fetchtest.New(t, fetchtest.Options{})
	cfg, fx := remoteFixture(t, reg, m, "A-lsmt-L0-L1", `{"enable": true, "delay": 0, "delayExtra": 0, "maxMBps": 0}`)
	g := imagetest.GlobalConfig(t)
	img, err := OpenImage(cfg, OpenOptions{Global: g})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	dl := img.Download()
	if dl == nil {
		t.Fatal("no download started")
	}
	select {
	case <-dl.Done():
	case <-time.After(vmtest.Scale(2 * time.Minute)):
		t.Fatal("download did not finish")
	}
	if errs := dl.Errors(); len(errs) != 0 {
		t.Fatal(errs)
	}
	for i := range fx.Layers {
		p := filepath.Join(filepath.Dir(cfg), "layers", fmt.Sprint(i), "overlaybd.commit")
		if _, err := os.Stat(p); err != nil {
			t.Fatal(err)
		}
	}
	before := reg.BlobGets.Load()
	if got := hashImage(t, img); got != fx.ExpectedSHA256 {
		t.Fatalf("sha256 %s, want %s", got, fx.ExpectedSHA256)
	}
	if n := reg.BlobGets.Load() - before; n != 0 {
		t.Fatalf("%d registry requests after the download", n)
	}
	// The next open uses the local files without a client.
	img.Close()
	img2, err := OpenImage(cfg, OpenOptions{Global: g})
	if err != nil {
		t.Fatal(err)
	}
	defer img2.Close()
	if img2.Download() != nil {
		t.Fatal("a download started for local layers")
	}
}

// A remote lower without a repoBlobUrl is a clear error, as before.
func TestRemoteNeedsRepoBlobURL(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.json")
	os.WriteFile(p, []byte(`{"lowers": [{"dir": "l0", "digest": "sha256:`+strings.Repeat("a", 64)+`", "size": 100}]}`), 0o644)
	_, err := OpenImage(p, OpenOptions{ReadOnly: true})
	if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "repoBlobUrl") {
		t.Fatalf("%v", err)
	}
}
