package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dadi-dev/dadi/internal/fixtures"
	"github.com/dadi-dev/dadi/lsmt"
)

// run executes the dadi command line and returns its stdout.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.Execute()
	return out.String() + errb.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("dadi %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TestCreateMatchesOverlaybd: the headers `dadi create` writes are byte for byte those of
// overlaybd's create_file_rw (fixture A/L0: flags 0x3 / 0x1, index_offset 4096 in the index
// header, upper-case uuid, zero parent uuid spelled out, version 1.1, struct size 390).
func TestCreateMatchesOverlaybd(t *testing.T) {
	m := fixtures.Load(t)
	dir := t.TempDir()
	d, i := filepath.Join(dir, "L0.data"), filepath.Join(dir, "L0.index")
	mustRun(t, "create", "--uuid", "0bd0f100-0001-4000-8000-000000000000", d, i, "32M")
	for _, c := range [][2]string{{d, "A/L0.data"}, {i, "A/L0.index"}} {
		got, _ := os.ReadFile(c[0])
		want, _ := os.ReadFile(m.Path(c[1]))
		if len(got) != lsmt.HeaderSize || !bytes.Equal(got, want[:lsmt.HeaderSize]) {
			t.Errorf("%s: header differs from overlaybd's %s", c[0], c[1])
		}
	}
	// With a parent (fixture A/L2).
	d2, i2 := filepath.Join(dir, "L2.data"), filepath.Join(dir, "L2.index")
	mustRun(t, "create", "--uuid", "0bd0f100-0001-4000-8000-000000000002", "-u", "0bd0f100-0001-4000-8000-000000000001", d2, i2, "33554432B")
	got, _ := os.ReadFile(d2)
	want, _ := os.ReadFile(m.Path("A/L2.data"))
	if !bytes.Equal(got, want[:lsmt.HeaderSize]) {
		t.Error("L2.data header differs from overlaybd's")
	}
	// A bare size is GiB, as overlaybd-create takes it; the uuid is random and upper case.
	d3, i3 := filepath.Join(dir, "g.data"), filepath.Join(dir, "g.index")
	mustRun(t, "create", d3, i3, "1")
	out := mustRun(t, "info", d3, i3)
	if !strings.Contains(out, "1073741824 bytes") {
		t.Errorf("info: %s", out)
	}
	hb, _ := os.ReadFile(d3)
	if h, err := lsmt.ParseHeader(hb); err != nil || len(h.UUID) != 36 || h.UUID != strings.ToUpper(h.UUID) || h.ParentUUID != lsmt.NullUUID {
		t.Errorf("random uuid header: %+v %v", h, err)
	}
	// Existing files are not overwritten.
	if _, err := run(t, "create", d3, i3, "1"); err == nil {
		t.Error("create over existing files succeeded")
	}
}

// TestCommitCLI: dadi commit of the fixture's writable layers gives overlaybd's files.
func TestCommitCLI(t *testing.T) {
	m := fixtures.Load(t)
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--uuid", "0bd0f100-0001-4000-8000-000000000002", "-p", "0bd0f100-0001-4000-8000-000000000001"}, "A/L2.lsmt"},
		{[]string{"-z", "--uuid", "0bd0f100-0001-4000-8000-000000000002", "--parent-uuid", "0bd0f100-0001-4000-8000-000000000001"}, "A/L2.lz4-4k.zfile"},
	} {
		out := filepath.Join(dir, filepath.Base(c.want))
		args := append([]string{"commit"}, c.args...)
		mustRun(t, append(args, m.Path("A/L2.data"), m.Path("A/L2.index"), out)...)
		got, _ := os.ReadFile(out)
		want, _ := os.ReadFile(m.Path(c.want))
		if !bytes.Equal(got, want) {
			t.Errorf("dadi commit %v differs from overlaybd's %s", c.args, c.want)
		}
		info := mustRun(t, "info", out)
		for _, s := range []string{"0BD0F100-0001-4000-8000-000000000002", "flags:       0x6", "segments:"} {
			if !strings.Contains(info, s) {
				t.Errorf("info %s lacks %q:\n%s", out, s, info)
			}
		}
	}
	// zstd, 16K blocks, tar: reads back as the same layer.
	out := filepath.Join(dir, "L2.zstd.tar")
	mustRun(t, "commit", "-z", "--algorithm", "zstd", "--bs", "16", "-t", m.Path("A/L2.data"), m.Path("A/L2.index"), out)
	info := mustRun(t, "info", out)
	if !strings.Contains(info, "tar(zfile)") || !strings.Contains(info, "zstd") {
		t.Errorf("info:\n%s", info)
	}
	if _, err := run(t, "commit", "--bs", "3", "-z", m.Path("A/L2.data"), m.Path("A/L2.index"), out); err == nil {
		t.Error("block size 3 KiB accepted")
	}
}

// TestMergeCLI: dadi merge of a config gives overlaybd-merge's file.
func TestMergeCLI(t *testing.T) {
	m := fixtures.Load(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.v1.json")
	os.WriteFile(cfg, []byte(`{"lowers":[{"file":"`+m.Path("A/L0.lsmt")+`"},{"file":"`+m.Path("A/L1.lz4-4k.zfile")+`"},{"file":"`+m.Path("A/L2.lsmt")+`"}]}`), 0o644)
	out := filepath.Join(dir, "merged.lsmt")
	mustRun(t, "merge", cfg, out)
	got, _ := os.ReadFile(out)
	want, _ := os.ReadFile(m.Path("A/merged-L012.lsmt"))
	if !bytes.Equal(got, want) {
		t.Error("dadi merge differs from overlaybd-merge --compress=false")
	}
	info := mustRun(t, "info", out)
	if !strings.Contains(info, "segments:") {
		t.Errorf("info:\n%s", info)
	}
}

func TestInfoErrors(t *testing.T) {
	m := fixtures.Load(t)
	out, err := run(t, "info", m.Path("A/L0.data"))
	if err == nil || !strings.Contains(err.Error(), "trailer") {
		t.Errorf("info of a writable data file alone: %v %s", err, out)
	}
	out = mustRun(t, "info", m.Path("A/L0.data"), m.Path("A/L0.index"))
	if !strings.Contains(out, "append-only") || !strings.Contains(out, "0BD0F100-0001-4000-8000-000000000000") {
		t.Errorf("info:\n%s", out)
	}
}
