package fetch

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/fetch/fetchtest"
	"github.com/dadi-dev/dadi/internal/vmtest"
)

func waitDownload(t *testing.T, d *Download) {
	t.Helper()
	select {
	case <-d.Done():
	case <-time.After(vmtest.Scale(2 * time.Minute)):
		t.Fatalf("download did not finish in %s", vmtest.Scale(2*time.Minute))
	}
}

func TestDownloadPlacesVerifiedCommitFile(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{})
	p := pushRandom(t, reg, "dadi/test", 1<<20+100, 31)
	c, logs := newTestClient(t, testConfig(t), nil)
	b := openBlob(t, c, p.ref)
	dir := filepath.Join(t.TempDir(), "layer")
	d := c.StartDownload([]DownloadJob{{Blob: b, Dir: dir}}, DownloadConfig{Enable: true, BlockSize: 100000, TryCnt: 2})
	waitDownload(t, d)
	if errs := d.Errors(); len(errs) != 0 {
		t.Fatalf("download errors: %v", errs)
	}
	got, err := os.ReadFile(filepath.Join(dir, CommitFileName))
	if err != nil || !bytes.Equal(got, p.data) {
		t.Fatalf("commit file: %v (%d bytes)", err, len(got))
	}
	if _, err := os.Stat(filepath.Join(dir, DownloadTmpName)); err == nil {
		t.Fatal("the temporary download file is left")
	}
	// Reads are local from now on.
	before := reg.BlobGets.Load()
	checkRead(t, b, p.data, 0, len(p.data))
	if n := reg.BlobGets.Load() - before; n != 0 {
		t.Fatalf("%d registry requests after the switch to the local file", n)
	}
	if !strings.Contains(logs.String(), "downloaded and verified") {
		t.Fatalf("no log line for the download: %s", logs.String())
	}
}

// Bytes damaged on the way make the digest check fail: the download is thrown away, it is
// said so, and nothing is placed or switched to.
func TestDownloadDigestMismatch(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{})
	p := pushRandom(t, reg, "dadi/test", 300000, 32)
	c, logs := newTestClient(t, testConfig(t), &fetchtest.Faults{Plan: fetchtest.Always(fetchtest.WrongBytes)})
	b := openBlob(t, c, p.ref)
	dir := filepath.Join(t.TempDir(), "layer")
	d := c.StartDownload([]DownloadJob{{Blob: b, Dir: dir}}, DownloadConfig{Enable: true, BlockSize: 65536, TryCnt: 2})
	waitDownload(t, d)
	errs := d.Errors()
	if len(errs) != 2 || !errors.Is(errs[0], ErrDigestMismatch) {
		t.Fatalf("errors %v, want two digest mismatches", errs)
	}
	for _, name := range []string{CommitFileName, DownloadTmpName} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Fatalf("%s left after a digest mismatch", name)
		}
	}
	if b.local.Load() != nil {
		t.Fatal("switched to a download that failed its digest")
	}
	if !strings.Contains(logs.String(), "digest mismatch") || !strings.Contains(logs.String(), "discarded") {
		t.Fatalf("the mismatch was not logged: %s", logs.String())
	}
}

// A rate limit holds the download to it.
func TestDownloadRateLimit(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{})
	p := pushRandom(t, reg, "dadi/test", 3<<20, 33)
	c, _ := newTestClient(t, testConfig(t), nil)
	b := openBlob(t, c, p.ref)
	start := time.Now()
	d := c.StartDownload([]DownloadJob{{Blob: b, Dir: t.TempDir()}}, DownloadConfig{Enable: true, BlockSize: 262144, MaxMBps: 10, TryCnt: 1})
	waitDownload(t, d)
	if took := time.Since(start); took < 250*time.Millisecond {
		t.Fatalf("3 MiB at 10 MB/s took %s", took)
	}
}

// Stop ends a download that waits for its delay.
func TestDownloadStop(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{})
	p := pushRandom(t, reg, "dadi/test", 1000, 34)
	c, _ := newTestClient(t, testConfig(t), nil)
	b := openBlob(t, c, p.ref)
	d := c.StartDownload([]DownloadJob{{Blob: b, Dir: t.TempDir()}}, DownloadConfig{Enable: true, Delay: 3600, BlockSize: 4096})
	start := time.Now()
	d.Stop()
	if time.Since(start) > vmtest.Scale(5*time.Second) {
		t.Fatal("Stop waited for the delay")
	}
}
