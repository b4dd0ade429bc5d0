package fetch

import (
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/fetch/fetchtest"
)

func TestBlobReadsMatchAndCache(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{})
	p := pushRandom(t, reg, "dadi/test", 1<<20+12345, 1)
	c, _ := newTestClient(t, testConfig(t), nil)
	b := openBlob(t, c, p.ref)
	r := rand.New(rand.NewPCG(7, 7))
	for range 200 {
		off := r.Int64N(int64(len(p.data)))
		checkRead(t, b, p.data, off, 1+r.IntN(300000))
	}
	// The tail: a short read ends in io.EOF.
	buf := make([]byte, 100)
	n, err := b.ReadAt(buf, int64(len(p.data))-10)
	if n != 10 || err != io.EOF {
		t.Fatalf("read past the end: %d, %v", n, err)
	}
	before := reg.BlobGets.Load()
	if before == 0 {
		t.Fatal("no registry requests counted")
	}
	// Everything is cached now: a second client on the same cache asks the registry nothing.
	checkRead(t, b, p.data, 0, len(p.data))
	b.Sync()
	c2, _ := newTestClient(t, c.g, nil)
	b2 := openBlob(t, c2, p.ref)
	checkRead(t, b2, p.data, 0, len(p.data))
	if got := reg.BlobGets.Load(); got != before {
		t.Fatalf("warm cache: %d registry requests, want 0", got-before)
	}
	if s := b2.Stats(); s.CacheHits.Load() == 0 || s.CacheMisses.Load() != 0 {
		t.Fatalf("warm cache: %d hits, %d misses", s.CacheHits.Load(), s.CacheMisses.Load())
	}
}

func TestBlobSizeProbe(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{})
	p := pushRandom(t, reg, "dadi/test", 70000, 2)
	c, _ := newTestClient(t, testConfig(t), nil)
	ref := p.ref
	ref.Size = 0
	b := openBlob(t, c, ref)
	if b.Size() != int64(len(p.data)) {
		t.Fatalf("probed size %d, want %d", b.Size(), len(p.data))
	}
	checkRead(t, b, p.data, 65000, 5000)
	// A config whose size disagrees with the registry is refused, not read around.
	ref.Size = 1234
	c2, _ := newTestClient(t, testConfig(t), nil)
	bad := openBlob(t, c2, ref)
	_, err := bad.ReadAt(make([]byte, 10), 0)
	if !errors.Is(err, ErrBadResponse) {
		t.Fatalf("wrong size: %v, want ErrBadResponse", err)
	}
}

// Concurrent reads of different blocks go out together, up to the in-flight limit; readers
// of the same block share one request.
func TestBlobInflight(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{Latency: 30 * time.Millisecond})
	p := pushRandom(t, reg, "dadi/test", 4<<20, 3)
	g := testConfig(t)
	g.FetchConfig.MaxInflight = 8
	c, _ := newTestClient(t, g, nil)
	b := openBlob(t, c, p.ref)
	base := reg.BlobGets.Load()
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() { checkRead(t, b, p.data, int64(i)*65536+100, 4096) })
	}
	wg.Wait()
	if m := reg.MaxInflight.Load(); m > 8 || m < 4 {
		t.Fatalf("at most %d requests in flight, want 4..8", m)
	}
	// 16 readers of one block: one request.
	before := reg.BlobGets.Load()
	for range 16 {
		wg.Go(func() { checkRead(t, b, p.data, 40*65536+7, 100) })
	}
	wg.Wait()
	if n := reg.BlobGets.Load() - before; n != 1 {
		t.Fatalf("16 readers of one block sent %d requests, want 1", n)
	}
	// One large read is cut into ranges that go out at once.
	reg.MaxInflight.Store(0)
	checkRead(t, b, p.data, 2<<20, 2<<20)
	if m := reg.MaxInflight.Load(); m < 4 {
		t.Fatalf("a 2 MiB read had %d ranges in flight, want several", m)
	}
	_ = base
}

func TestBlobRedirect(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{Redirect: true, Auth: fetchtest.Token})
	p := pushRandom(t, reg, "dadi/redirected", 1<<20, 4)
	g := testConfig(t)
	g.CredentialConfig.Path = reg.WriteCredentials(t.TempDir(), reg.User(), reg.Password())
	c, _ := newTestClient(t, g, nil)
	b := openBlob(t, c, p.ref)
	for off := int64(0); off < int64(len(p.data)); off += 100000 {
		checkRead(t, b, p.data, off, 5000)
	}
	if n := reg.BlobGets.Load(); n != 1 {
		t.Fatalf("%d requests reached the registry, want 1 (the storage URL is cached)", n)
	}
	if reg.StorageGets.Load() < 5 {
		t.Fatalf("only %d storage requests", reg.StorageGets.Load())
	}
	if n := reg.AuthHeaders.Load(); n != 0 {
		t.Fatalf("%d storage requests carried the registry's Authorization header", n)
	}
}

func TestBlobNotFound(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{})
	c, _ := newTestClient(t, testConfig(t), nil)
	ref := BlobRef{RepoBlobURL: reg.RepoBlobURL("dadi/test"), Digest: fetchtest.Digest([]byte("absent")), Size: 6}
	b := openBlob(t, c, ref)
	if _, err := b.ReadAt(make([]byte, 6), 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent blob: %v, want ErrNotFound", err)
	}
}

func TestBlobRefChecks(t *testing.T) {
	c, _ := newTestClient(t, testConfig(t), nil)
	for _, ref := range []BlobRef{
		{RepoBlobURL: "ftp://h/v2/r/blobs", Digest: fetchtest.Digest(nil), Size: 1},
		{RepoBlobURL: "http://h/r/blobs", Digest: fetchtest.Digest(nil), Size: 1},
		{RepoBlobURL: "http://user:pw@h/v2/r/blobs", Digest: fetchtest.Digest(nil), Size: 1},
		{RepoBlobURL: "http://h/v2/r/blobs", Digest: "sha256:abc", Size: 1},
		{RepoBlobURL: "http://h/v2/r/blobs", Digest: fetchtest.Digest(nil), Size: -1},
	} {
		if _, err := c.OpenBlob(ref); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", ref, err)
		}
		if _, err := c.OpenBlob(ref); err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("error shows the URL's password: %v", err)
		}
	}
}

// Fetch errors never carry a syscall.Errno: a ublk completion maps them all to EIO.
func TestFetchErrorsAreNotErrno(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{})
	p := pushRandom(t, reg, "dadi/test", 100000, 5)
	g := testConfig(t)
	g.FetchConfig.Retries = 1
	c, _ := newTestClient(t, g, &fetchtest.Faults{Plan: fetchtest.Always(fetchtest.Reset)})
	b := openBlob(t, c, p.ref)
	_, err := b.ReadAt(make([]byte, 10), 0)
	var errno syscall.Errno
	if !errors.Is(err, ErrFetch) || errors.As(err, &errno) {
		t.Fatalf("reset: %v (errno %v), want ErrFetch without an errno", err, errno)
	}
}
