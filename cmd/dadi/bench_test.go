package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dadi-dev/dadi/perf"
)

// TestBenchBadInput: a bad matrix, an unknown knob or a knob the source cannot honour is one
// clear error, and nothing ran: the output directory was not even made.
func TestBenchBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out := filepath.Join(dir, "out")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--null", "1G", "--matrix", write("a.matrix", "rw: randread\nqueue: 2\n")}, `a.matrix:2: unknown knob "queue"`},
		{[]string{"--null", "1G", "--matrix", write("b.matrix", "iodepth: 1 lots\n")}, `b.matrix:1: iodepth: "lots": want a whole number`},
		{[]string{"--null", "1G", "--matrix", filepath.Join(dir, "missing.matrix")}, "no such file"},
		{[]string{"--null", "1G", "--file", "x"}, "exactly one of"},
		{[]string{"--matrix", write("c.matrix", "rw: read")}, "exactly one of"},
		{[]string{"--null", "1G"}, "no output directory"},
		{[]string{"--null", "lots"}, "--null"},
		{[]string{"--device", "/dev/null", "--matrix", write("d.matrix", "queues: 2")}, "knob queues applies to devices dadi serves"},
		{[]string{"--file", write("disk.img", "x"), "--matrix", write("e.matrix", "rw: randwrite")}, "give --allow-write"},
		{[]string{"--config", write("cfg.json", "{}"), "--matrix", write("f.matrix", "codec: lz4")}, "codec and zfile_bs build images"},
		{[]string{"--null", "1G", "--matrix", write("g.matrix", "queues: 4096")}, "this machine has"},
		{[]string{"--null", "1G", "--matrix", write("h.matrix", "pin: 4095")}, "names CPU 4095"},
	} {
		args := append([]string{"bench", "-o", out}, c.args...)
		if c.want == "no output directory" {
			args = append([]string{"bench"}, c.args...)
		}
		msg, err := run(t, args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("dadi %s: %v (%s), want an error containing %q", strings.Join(args, " "), err, msg, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("dadi %s made %s before failing", strings.Join(args, " "), out)
		}
	}
}

// TestBenchDryRun lists a ready matrix's entries without running them.
func TestBenchDryRun(t *testing.T) {
	m, err := perf.LoadMatrix("../../perf/quick.matrix")
	if err != nil {
		t.Fatal(err)
	}
	// The dry run checks everything a real run would, fio's presence included, but runs
	// nothing: where the host has no fio yet (the VM tools come later in make test), a stub
	// stands in for it.
	if _, err := exec.LookPath("fio"); err != nil {
		bin := t.TempDir()
		if err := os.WriteFile(filepath.Join(bin, "fio"), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	out, err := run(t, "bench", "--null", "1G", "--matrix", "../../perf/quick.matrix", "-o", t.TempDir(), "--dry-run")
	if err != nil {
		t.Fatal(err, out)
	}
	if n := strings.Count(out, "\n"); n != m.Count() {
		t.Errorf("%d lines for %d entries:\n%s", n, m.Count(), out)
	}
}
