//go:build vm

package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/dadi-dev/dadi/perf"
)

// TestVMBench runs `dadi bench` on a small matrix (raw null and an lz4 image, two queue
// counts, two iodepths) and checks what it leaves: one CSV row per entry with a reference
// ratio, raw fio JSON for each, a report that shows its plots, and plots that are SVG with
// the data in them. No device is left behind.
func TestVMBench(t *testing.T) {
	vmtest.RequireUblk(t)
	matrix := filepath.Join("testdata", "bench-tiny.matrix")
	m, err := perf.LoadMatrix(matrix)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	// The matrix takes about a minute and a half in an idle VM; a loaded host makes that
	// several times longer, and a bound that kills dadi bench ("signal: killed") then fails a
	// test whose output is fine. The bound is for a hang.
	ctx, cancel := context.WithTimeout(context.Background(), vmtest.Scale(20*time.Minute))
	defer cancel()
	cmd := exec.CommandContext(ctx, vmtest.Dadi(t), "bench", "--null", "256M", "--matrix", matrix, "-o", out)
	var stderr bytes.Buffer
	cmd.Stderr = io.MultiWriter(&stderr, os.Stderr) // progress shows in the test log as it runs
	if err := cmd.Run(); err != nil {
		t.Fatalf("dadi bench: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "[12/12]") {
		t.Errorf("progress did not count 8 entries and 4 reference jobs:\n%s", stderr.String())
	}

	f, err := os.Open(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+m.Count() {
		t.Fatalf("results.csv: %d rows, want a header and %d entries", len(rows), m.Count())
	}
	idx := map[string]int{}
	for i, c := range rows[0] {
		idx[c] = i
	}
	for _, r := range rows[1:] {
		wantRef := map[string]string{"raw": "null_blk", "lz4": "loop"}[r[idx["codec"]]]
		if r[idx["iops"]] == "0" || r[idx["ref"]] != wantRef || r[idx["iops_ratio"]] == "" || r[idx["daemon_cpu_pct"]] == "" {
			t.Errorf("row %v: want IOPS, daemon CPU and a ratio to %s", r, wantRef)
		}
		for _, col := range []string{"fio_json", "ref_fio_json"} {
			if _, err := os.Stat(filepath.Join(out, r[idx[col]])); err != nil {
				t.Errorf("%s: %v", col, err)
			}
		}
	}

	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Best configuration per workload", "| q2 raw | 8 |", "p99.9", "× ref"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	for _, kind := range []string{"iops", "latency", "heatmap"} {
		name := kind + "-randread-4k-j1.svg"
		if !strings.Contains(string(md), "]("+name+")") {
			t.Errorf("report.md does not show %s", name)
		}
		paths, text := checkSVG(t, filepath.Join(out, name))
		if paths < 8 {
			t.Errorf("%s: %d paths: no data drawn?", name, paths)
		}
		// The heat map names each cell's best configuration and its ratio to that one's
		// reference; which configuration wins is a measurement (on a loaded host lz4 may beat
		// raw), so either reference is right.
		want := map[string]string{"iops": `q2 lz4/16k`, "latency": `null_blk \(kernel\)`, "heatmap": `[0-9]x (null_blk|loop)`}[kind]
		if !regexp.MustCompile(want).MatchString(text) {
			t.Errorf("%s: no %q in its text: %q", name, want, text)
		}
	}
	if left, _ := filepath.Glob("/dev/ublkb*"); len(left) > 0 {
		t.Errorf("devices left behind: %v", left)
	}
	if left, _ := filepath.Glob("/sys/kernel/config/nullb/dadibench*"); len(left) > 0 {
		t.Errorf("null_blk devices left behind: %v", left)
	}
}

// checkSVG parses an SVG as XML and returns its number of path elements and its text.
func checkSVG(t *testing.T, path string) (int, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	paths, root := 0, ""
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: not well-formed XML: %v", path, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
			if tok.Name.Local == "path" {
				paths++
			}
		case xml.CharData:
			text.Write(tok)
			text.WriteByte(' ')
		}
	}
	if root != "svg" {
		t.Fatalf("%s: root element %q, want svg", path, root)
	}
	return paths, text.String()
}
