package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/ebpf"
	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/internal/fixtures"
	"github.com/dadi-dev/dadi/prefetch"
)

// wantFlagError runs dadi with args and wants an error that contains each of want.
func wantFlagError(t *testing.T, args []string, want ...string) {
	t.Helper()
	out, err := run(t, args...)
	if err == nil {
		t.Errorf("dadi %s: no error\n%s", strings.Join(args, " "), out)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("dadi %s: %v, want it to contain %q", strings.Join(args, " "), err, w)
		}
	}
	t.Logf("dadi %s: %v", strings.Join(args, " "), err)
}

// TestNumericFlagRanges: every numeric flag out of its documented range is one clear error
// naming the flag, before anything is created; none wraps, defaults or allocates by it.
// Before the ranges, --bs 18014398509481984K compressed with the default block size and
// --bs 18014398509481988K with 4 KiB blocks, --buckets 100000000000 died out of memory and
// --workers 1000000000 allocated a channel per worker.
func TestNumericFlagRanges(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.WriteFile(src, make([]byte, 64<<10), 0o644)
	dst := filepath.Join(dir, "dst.zfile")
	trace := filepath.Join(dir, "t.trace")
	os.WriteFile(trace, prefetch.EncodeTrace([]prefetch.TraceRecord{{Op: prefetch.TraceRead, Count: 4096}}), 0o644)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"zfile", "compress", "--bs", "18014398509481984K", src, dst}, []string{"--bs", "overflows"}},
		{[]string{"zfile", "compress", "--bs", "18014398509481988K", src, dst}, []string{"--bs", "overflows"}},
		{[]string{"zfile", "compress", "--bs", "128K", src, dst}, []string{"--bs", "4K to 64K"}},
		{[]string{"zfile", "compress", "--level", "23", src, dst}, []string{"--level", "0 to 22"}},
		{[]string{"zfile", "compress", "--workers", "1000000000", src, dst}, []string{"--workers", "0 to 1024"}},
		{[]string{"zfile", "compress", "--workers", "-1", src, dst}, []string{"--workers"}},
		{[]string{"commit", "-z", "--bs", "18014398509481988K", src, src, dst}, []string{"--bs", "overflows"}},
		{[]string{"trace", "show", "--buckets", "100000000000", trace}, []string{"--buckets", "0 to 4096"}},
		{[]string{"trace", "show", "--buckets", "-1", trace}, []string{"--buckets"}},
		{[]string{"serve", "--null", "1G", "--queues", "0"}, []string{"--queues"}},
		{[]string{"serve", "--null", "1G", "--queues", "100000"}, []string{"--queues"}},
		{[]string{"serve", "--null", "1G", "--depth", "4097"}, []string{"--depth", "1 to 4096"}},
		{[]string{"serve", "--null", "1G", "--id", "1048576"}, []string{"--id", "-1 to 1048575"}},
		{[]string{"serve", "--null", "1G", "--recover", "-2"}, []string{"--recover"}},
		{[]string{"serve", "--null", "1G", "--max-io", "18014398509481988K"}, []string{"--max-io", "overflows"}},
		{[]string{"serve", "--null", "1G", "--max-io", "5000"}, []string{"--max-io", "4K to 32M"}},
		{[]string{"serve", "--null", "18014398509481988K"}, []string{"--null", "overflows"}},
		{[]string{"serve", "--null", "1000"}, []string{"--null", "multiple of 512"}},
		{[]string{"bench", "--null", "-1G", "--dry-run"}, []string{"--null", "negative"}},
		{[]string{"create", filepath.Join(dir, "d"), filepath.Join(dir, "i"), "18014398509481984K"}, []string{"size", "overflows"}},
		{[]string{"create", filepath.Join(dir, "d"), filepath.Join(dir, "i"), "4294967297"}, []string{"size", "4096P"}},
		{[]string{"stop", "--timeout", "100h", "0"}, []string{"--timeout"}},
		{[]string{"stop", "1048576"}, []string{"0 to 1048575"}},
		{[]string{"trace", "record", "--dev", "/dev/null", "-o", filepath.Join(dir, "r"), "--ring", "18014398509481988K"}, []string{"--ring", "overflows"}},
		{[]string{"trace", "record", "--dev", "/dev/null", "-o", filepath.Join(dir, "r"), "--duration", "48h"}, []string{"--duration"}},
	} {
		wantFlagError(t, c.args, c.want...)
	}
	for _, p := range []string{dst, filepath.Join(dir, "d"), filepath.Join(dir, "r")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was created by a refused command", p)
		}
	}
}

// deviceTrace writes a complete device trace of evs.
func deviceTrace(t *testing.T, path string, evs []ebpf.Event) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := ebpf.NewWriter(f, ebpf.MkDev(259, 0), time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		if err := w.Write(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(0, 0); err != nil {
		t.Fatal(err)
	}
}

// TestTraceShowHostile: checksum-valid traces whose records lie outside int64 are summarised
// with the bad records skipped and counted; they panicked `dadi trace show` before (a prefetch
// record at a negative offset, a device event at sector 2^54).
func TestTraceShowHostile(t *testing.T) {
	dir := t.TempDir()
	pre := filepath.Join(dir, "prefetch.trace")
	os.WriteFile(pre, prefetch.EncodeTrace([]prefetch.TraceRecord{
		{Op: prefetch.TraceRead, Count: 4096, Offset: -4096},
		{Op: prefetch.TraceRead, Count: 4096, Offset: 8192},
	}), 0o644)
	out := mustRun(t, "trace", "show", pre)
	if !strings.Contains(out, "1 records, 4096 bytes") || !strings.Contains(out, "skipped 1 records") {
		t.Errorf("prefetch trace:\n%s", out)
	}
	dev := filepath.Join(dir, "device.trace")
	deviceTrace(t, dev, []ebpf.Event{
		{Time: 1, Latency: 1, Sector: 1 << 54, Bytes: 4096, Op: ebpf.OpRead},
		{Time: 2, Latency: 1, Sector: 8, Bytes: 4096, Op: ebpf.OpRead},
	})
	out = mustRun(t, "trace", "show", dev)
	if !strings.Contains(out, "events  1 (") || !strings.Contains(out, "skipped 1)") {
		t.Errorf("device trace:\n%s", out)
	}
	t.Logf("\n%s", out)
	for _, format := range []string{"csv", "json"} {
		mustRun(t, "trace", "show", "--format", format, dev)
		mustRun(t, "trace", "show", "--format", format, pre)
	}
}

// TestTraceConvertHostile: a device event outside int64 or past the image is an error naming
// the event, and no prefetch trace is written (such events were silently dropped before).
func TestTraceConvertHostile(t *testing.T) {
	m := fixtures.Load(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.v1.json")
	os.WriteFile(cfg, []byte(`{"lowers":[{"file":"`+m.Path("A/L0.lsmt")+`"}]}`), 0o644)
	img, err := engine.OpenImage(cfg, engine.OpenOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	size := img.Size()
	img.Close()
	ok := ebpf.Event{Time: 1, Latency: 1, Sector: 0, Bytes: 4096, Op: ebpf.OpRead}
	for name, c := range map[string]struct {
		e    ebpf.Event
		want string
	}{
		"sector 2^54":    {ebpf.Event{Time: 2, Latency: 1, Sector: 1 << 54, Bytes: 4096, Op: ebpf.OpRead}, "event 1 ("},
		"past the image": {ebpf.Event{Time: 2, Latency: 1, Sector: uint64(size / 512), Bytes: 4096, Op: ebpf.OpRead}, "event 1 ("},
	} {
		in, out := filepath.Join(dir, "dev.trace"), filepath.Join(dir, "out.trace")
		deviceTrace(t, in, []ebpf.Event{ok, c.e})
		wantFlagError(t, []string{"trace", "convert", "--config", cfg, in, out}, c.want)
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: %s written", name, out)
		}
	}
	in, out := filepath.Join(dir, "dev.trace"), filepath.Join(dir, "out.trace")
	deviceTrace(t, in, []ebpf.Event{ok})
	mustRun(t, "trace", "convert", "--config", cfg, in, out)
}
