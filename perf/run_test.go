package perf

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and a parenthesis must not shift the fields.
	stat := "4242 (dadi (x) y) S 1 4242 4242 0 -1 4194560 300 0 0 0 150 52 0 0 20 0 5 0 100 0 0"
	got, err := parseStatCPU(stat)
	if err != nil || got != 2.02 {
		t.Errorf("parseStatCPU = %v, %v; want 2.02 s", got, err)
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 10 a b 0"} {
		if _, err := parseStatCPU(bad); err == nil {
			t.Errorf("parseStatCPU(%q) succeeded", bad)
		}
	}
}

func TestFioArgs(t *testing.T) {
	args := fioArgs("e1", "/dev/ublkb0", 1<<30, Job{RW: Mixed, BS: 4096, IODepth: 32, NumJobs: 1}, 5*time.Second, time.Second)
	for _, want := range []string{"--rw=randrw", "--rwmixread=70", "--bs=4096", "--iodepth=32", "--runtime=5s",
		"--ramp_time=1s", "--unified_rw_reporting=mixed", "--direct=1", "--filename=/dev/ublkb0", "--output-format=json"} {
		if !slices.Contains(args, want) {
			t.Errorf("args %v lack %s", args, want)
		}
	}
	// Sequential jobs get a stretch of the device each.
	args = fioArgs("e2", "/dev/x", 1<<30, Job{RW: Read, BS: 1 << 20, IODepth: 1, NumJobs: 4}, time.Second, 0)
	if !slices.Contains(args, "--offset_increment=268435456") || !slices.Contains(args, "--size=268435456") {
		t.Errorf("sequential args %v", args)
	}
	if slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--ramp_time") }) {
		t.Error("ramp_time with no ramp")
	}
}

func TestServeArgs(t *testing.T) {
	for pin, want := range map[string]string{
		PinOn:  "serve --null 1024 --queues 2 --depth 64",
		PinOff: "serve --null 1024 --queues 2 --depth 64 --cpus none",
		"1,0":  "serve --null 1024 --queues 2 --depth 64 --cpus 1,0",
	} {
		got := strings.Join(serveArgs(Source{Null: 1024}.serveTarget(), Daemon{Queues: 2, Depth: 64, Pin: pin}), " ")
		if got != want {
			t.Errorf("pin %s: %q, want %q", pin, got, want)
		}
	}
}

func TestProgress(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, 3, 10*time.Second)
	end := p.begin("dadi q1 | randread 4k qd1 j1")
	end("-> 100 IOPS")
	p.say("building")
	out := b.String()
	for _, want := range []string{"[1/3] 0:00  ~0:30 left  dadi q1 | randread 4k qd1 j1", "-> 100 IOPS", "building"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress %q lacks %q", out, want)
		}
	}
	if p.done != 1 || p.left() > time.Second {
		t.Errorf("after one quick job: done %d, left %s", p.done, p.left())
	}
	for d, want := range map[time.Duration]string{0: "0:00", 61 * time.Second: "1:01", 3725 * time.Second: "1:02:05"} {
		if got := clock(d); got != want {
			t.Errorf("clock(%s) = %s", d, got)
		}
	}
}

func TestSourceCheck(t *testing.T) {
	parse := func(s string) *Matrix {
		m, err := ParseMatrix([]byte(s), "m", "m")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, c := range []struct {
		src   Source
		m     string
		allow bool
		want  string
	}{
		{Source{}, "", false, "exactly one"},
		{Source{Null: 1000}, "", false, "multiple of 512"},
		{Source{Device: "/dev/sda"}, "depth: 64", false, "knob depth applies to devices dadi serves"},
		{Source{Device: "/dev/sda"}, "rw: write", false, "--allow-write"},
		{Source{File: "f"}, "rw: mixed", false, "--allow-write"},
		{Source{Config: "c.json"}, "rw: randwrite", false, "upper layer"},
		{Source{Config: "c.json"}, "codec: none", false, "served as it is"},
		{Source{File: "f"}, "rw: mixed\ncodec: lz4", false, ""}, // writes go to the image's upper
		{Source{File: "f"}, "rw: write", true, ""},
		{Source{Null: 1 << 30}, "rw: write\nqueues: 1 2", false, ""},
	} {
		err := c.src.check(parse(c.m), c.allow)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v with %q: %v, want %q", c.src, c.m, err, c.want)
		}
	}
}
