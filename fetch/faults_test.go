package fetch

import (
	"bytes"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/fetch/fetchtest"
	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/dadi-dev/dadi/ublk"
)

// Faults that go away are retried through; the bytes that come back are the blob's.
func TestFaultsRecovered(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{})
	p := pushRandom(t, reg, "dadi/test", 600000, 21)
	for _, f := range []fetchtest.Fault{fetchtest.Reset, fetchtest.Truncate, fetchtest.Status503, fetchtest.Status429, fetchtest.Hang, fetchtest.ShortRange} {
		t.Run(f.String(), func(t *testing.T) {
			g := testConfig(t)
			g.FetchConfig.AttemptTimeoutMs = ms(200 * time.Millisecond) // a hung request is given up on quickly
			tr := &fetchtest.Faults{Plan: fetchtest.FirstN(2, f), Latency: 2 * time.Millisecond}
			c, _ := newTestClient(t, g, tr)
			b := openBlob(t, c, p.ref)
			checkRead(t, b, p.data, 0, len(p.data))
			if tr.Count(f) != 2 {
				t.Fatalf("%d faults injected, want 2", tr.Count(f))
			}
			if r := b.Stats().Retries.Load(); r < 2 {
				t.Fatalf("%d retries, want ≥ 2", r)
			}
		})
	}
}

// Faults that stay fail the read with an error that is EIO for the kernel, within the
// configured time, and never with the wrong bytes.
func TestFaultsPermanent(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{})
	p := pushRandom(t, reg, "dadi/test", 300000, 22)
	for _, f := range []fetchtest.Fault{fetchtest.Reset, fetchtest.Truncate, fetchtest.Status503, fetchtest.Status429, fetchtest.Hang, fetchtest.ShortRange} {
		t.Run(f.String(), func(t *testing.T) {
			g := testConfig(t)
			g.FetchConfig.AttemptTimeoutMs = ms(150 * time.Millisecond)
			g.FetchConfig.TimeoutMs = ms(time.Second)
			tr := &fetchtest.Faults{Plan: fetchtest.Always(f)}
			c, _ := newTestClient(t, g, tr)
			b := openBlob(t, c, p.ref)
			buf := make([]byte, 8192)
			start := time.Now()
			n, err := b.ReadAt(buf, 70000)
			took := time.Since(start)
			if err == nil || n != 0 {
				t.Fatalf("read succeeded (%d bytes) through a permanent %s", n, f)
			}
			if !errors.Is(err, ErrFetch) {
				t.Fatalf("%v, want ErrFetch", err)
			}
			if r := ublk.Result(err); r != -5 {
				t.Fatalf("ublk result %d, want -EIO", r)
			}
			if bound := vmtest.Scale(time.Second); took > bound+vmtest.Scale(500*time.Millisecond) {
				t.Fatalf("failing took %s, the bound is %s", took, bound)
			}
			if !bytes.Equal(buf, make([]byte, len(buf))) {
				t.Fatal("a failed read wrote into the buffer")
			}
		})
	}
}

// While one blob's registry hangs, reads of what is cached and of another blob go on.
func TestHungServerDoesNotBlockOthers(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{})
	slow := pushRandom(t, reg, "dadi/slow", 300000, 23)
	fast := pushRandom(t, reg, "dadi/fast", 300000, 24)
	var hang sync.Map
	tr := &fetchtest.Faults{Plan: func(_ int64, req *http.Request) fetchtest.Fault {
		if _, ok := hang.Load(req.URL.Path); ok {
			return fetchtest.Hang
		}
		return fetchtest.Pass
	}}
	g := testConfig(t)
	g.FetchConfig.AttemptTimeoutMs = ms(2 * time.Second)
	g.FetchConfig.TimeoutMs = ms(3 * time.Second)
	g.FetchConfig.MaxInflight = 4
	c, _ := newTestClient(t, g, tr)
	bs, bf := openBlob(t, c, slow.ref), openBlob(t, c, fast.ref)
	checkRead(t, bs, slow.data, 0, 65536) // cached before the registry hangs
	hang.Store("/v2/dadi/slow/blobs/"+slow.ref.Digest, true)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { bs.ReadAt(make([]byte, 4096), 200000) }) // hangs until its timeout
	}
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	checkRead(t, bs, slow.data, 100, 4000)
	checkRead(t, bf, fast.data, 0, len(fast.data))
	if d := time.Since(start); d > vmtest.Scale(time.Second) {
		t.Fatalf("reads beside a hung request took %s (the hung ones wait %s)", d, vmtest.Scale(3*time.Second))
	}
	wg.Wait()
}
