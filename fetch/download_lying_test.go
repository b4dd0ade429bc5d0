package fetch

import (
	"bytes"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dadi-dev/dadi/fetch/fetchtest"
)

// lyingRegistry is a test registry behind a transport that, while lie is set, flips a byte in
// every range response: right status, Content-Range and length, wrong bytes.
func lyingRegistry(t *testing.T, n int, seed uint64) (pushed, *fetchtest.Faults, *atomic.Bool) {
	reg := fetchtest.New(t, fetchtest.Options{})
	p := pushRandom(t, reg, "dadi/test", n, seed)
	lie := &atomic.Bool{}
	tr := &fetchtest.Faults{Plan: func(int64, *http.Request) fetchtest.Fault {
		if lie.Load() {
			return fetchtest.WrongBytes
		}
		return fetchtest.Pass
	}}
	return p, tr, lie
}

// cachedBlocks counts the blob's blocks the cache holds.
func cachedBlocks(c *Client, b *Blob) int {
	bs := int64(c.Cache().BlockSize())
	n := 0
	for blk := int64(0); blk*bs < b.Size(); blk++ {
		if c.Cache().Has(b.hex, blk) {
			n++
		}
	}
	return n
}

// A plain LSMT lower has no block CRC above the cache: wrong bytes a lying registry served by
// range are cached and served. A full download then fails its digest, and that purges the
// blob's blocks, so the next read goes back to the registry and, once it is honest, is right.
func TestDownloadDigestMismatchPurgesCache(t *testing.T) {
	p, tr, lie := lyingRegistry(t, 300000, 35)
	c, logs := newTestClient(t, testConfig(t), tr)
	b := openBlob(t, c, p.ref)
	lie.Store(true)
	got := make([]byte, len(p.data))
	if _, err := b.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, p.data) {
		t.Fatal("the lying transport served the right bytes")
	}
	b.Sync()
	if n := cachedBlocks(c, b); n == 0 {
		t.Fatal("nothing cached from the lying registry; the test proves nothing")
	}

	d := c.StartDownload([]DownloadJob{{Blob: b, Dir: filepath.Join(t.TempDir(), "layer")}}, DownloadConfig{Enable: true, BlockSize: 65536, TryCnt: 1})
	waitDownload(t, d)
	if errs := d.Errors(); len(errs) != 1 || !errors.Is(errs[0], ErrDigestMismatch) {
		t.Fatalf("errors %v, want one digest mismatch", errs)
	}
	if n := cachedBlocks(c, b); n != 0 {
		t.Fatalf("%d blocks of the blob still cached after its download failed its digest", n)
	}
	if u := c.Cache().Usage(); u != 0 {
		t.Fatalf("cache holds %d bytes after the purge", u)
	}
	if !strings.Contains(logs.String(), "purged") {
		t.Fatalf("the purge was not logged: %s", logs.String())
	}

	// Another client on the same cache directory (another process on the node) finds nothing.
	g2 := testConfig(t)
	g2.CacheConfig.CacheDir = c.Config().CacheConfig.CacheDir
	lie.Store(false)
	c2, _ := newTestClient(t, g2, tr)
	b2 := openBlob(t, c2, p.ref)
	before := p.reg.BlobGets.Load()
	checkRead(t, b2, p.data, 0, len(p.data))
	if p.reg.BlobGets.Load() == before {
		t.Fatal("the read after the purge did not go to the registry")
	}
	checkRead(t, b, p.data, 0, len(p.data))
}

// Blocks fetched by range are checked once a download completes and its digest holds: those
// that differ from the verified bytes are dropped, so an image that shares the blob and reads
// it through the cache gets the right bytes.
func TestDownloadVerifiedChecksCachedBlocks(t *testing.T) {
	p, tr, lie := lyingRegistry(t, 300000, 36)
	c, logs := newTestClient(t, testConfig(t), tr)
	b := openBlob(t, c, p.ref)
	shared := openBlob(t, c, p.ref) // another image's layer on the same blob: no download
	lie.Store(true)
	if _, err := b.ReadAt(make([]byte, len(p.data)), 0); err != nil {
		t.Fatal(err)
	}
	b.Sync()
	lie.Store(false) // honest for the download
	d := c.StartDownload([]DownloadJob{{Blob: b, Dir: filepath.Join(t.TempDir(), "layer")}}, DownloadConfig{Enable: true, BlockSize: 65536, TryCnt: 1})
	waitDownload(t, d)
	if errs := d.Errors(); len(errs) != 0 {
		t.Fatalf("download errors: %v", errs)
	}
	if c.Cache().Corrupt.Load() == 0 || !strings.Contains(logs.String(), "differ from the verified download") {
		t.Fatalf("no cached block found wrong against the download (corrupt %d): %s", c.Cache().Corrupt.Load(), logs.String())
	}
	// Only the wrong blocks went: the right ones stay cached, the wrong ones come again.
	total := int((p.ref.Size + int64(c.Cache().BlockSize()) - 1) / int64(c.Cache().BlockSize()))
	if n := cachedBlocks(c, shared); n == 0 || n == total {
		t.Fatalf("%d of %d blocks cached after the check, want the right ones only", n, total)
	}
	before := p.reg.BlobGets.Load()
	checkRead(t, shared, p.data, 0, len(p.data))
	if p.reg.BlobGets.Load() == before {
		t.Fatal("the dropped blocks were not fetched again")
	}
}
