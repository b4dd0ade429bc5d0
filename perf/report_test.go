package perf

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cannedReport is a run of a 2 queues × 2 depths × 3 iodepths matrix (and a zstd image
// variant) whose figures come from real fio output in testdata, scaled per entry so the
// plots have shape.
func cannedReport(t *testing.T) *Report {
	t.Helper()
	m, err := ParseMatrix([]byte("rw: randread mixed\niodepth: 1 8 64\nqueues: 1 2\ndepth: 32 128\ncodec: raw zstd\nzfile_bs: 16k"), "canned.matrix", "canned")
	if err != nil {
		t.Fatal(err)
	}
	canned := map[Pattern]Stats{}
	for rw, file := range map[Pattern]string{RandRead: "testdata/fio-randread.json", Mixed: "testdata/fio-mixed.json"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if canned[rw], err = ParseFio(b); err != nil {
			t.Fatal(err)
		}
	}
	rep := &Report{Matrix: m, Source: "null 1G", Command: "dadi bench --null 1G -o out", Host: Host{Kernel: "6.12.0", CPUs: 2, Fio: "fio-3.33"}}
	refs := map[string]*RefResult{}
	for _, e := range m.Entries() {
		scale := float64(e.Job.IODepth) / 64 * float64(e.Daemon.Queues) * float64(e.Daemon.Depth) / 128
		st := canned[e.Job.RW]
		st.IOPS *= scale
		st.LatP99 /= scale
		key := "null_blk|" + e.Job.String()
		if e.Daemon.Codec.Image() {
			key = "loop|" + e.Job.String()
		}
		if refs[key] == nil {
			name, _, _ := strings.Cut(key, "|")
			refs[key] = &RefResult{Name: name, Device: "/dev/" + name, Job: e.Job, Stats: canned[e.Job.RW], JSON: "fio/ref.json"}
			rep.Refs = append(rep.Refs, *refs[key])
		}
		rep.Results = append(rep.Results, Result{Entry: e, Device: "/dev/ublkb0", Stats: st, CPU: 40 * scale, Ref: refs[key], JSON: "fio/x.json"})
	}
	return rep
}

func TestParseFio(t *testing.T) {
	b, err := os.ReadFile("testdata/fio-mixed.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseFio(append([]byte("note: fio says something first\n"), b...))
	if err != nil {
		t.Fatal(err)
	}
	if st.IOPS < 47000 || st.IOPS > 48000 || st.TotalIOs != 49178 || st.LatP50 != 12.352 || st.LatP99 != 872.448 || st.LatP999 != 13172.736 {
		t.Errorf("stats %+v", st)
	}
	for _, bad := range []string{"", "{}", `{"jobs":[{"jobname":"x","error":5}]}`, `{"jobs":[{"jobname":"x"}]}`} {
		if _, err := ParseFio([]byte(bad)); err == nil {
			t.Errorf("ParseFio(%q) succeeded", bad)
		}
	}
}

// TestWriteReport: one CSV row per entry with the reference beside it, a markdown report that
// links every plot, and plots that are SVG with the data series in them.
func TestWriteReport(t *testing.T) {
	rep := cannedReport(t)
	dir := t.TempDir()
	if err := WriteReport(dir, rep); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+rep.Matrix.Count() || len(rows[0]) != len(resultColumns) {
		t.Fatalf("%d rows of %d columns for %d entries", len(rows), len(rows[0]), rep.Matrix.Count())
	}
	col := func(name string) int {
		for i, c := range rows[0] {
			if c == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return 0
	}
	last := rows[len(rows)-1]
	if last[col("codec")] != "zstd" || last[col("zfile_bs")] != "16384" || last[col("ref")] != "loop" || last[col("iops_ratio")] == "" {
		t.Errorf("last row %v", last)
	}
	if rows[1][col("ref")] != "null_blk" || rows[1][col("zfile_bs")] != "" {
		t.Errorf("first row %v", rows[1])
	}

	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	svgs, _ := filepath.Glob(filepath.Join(dir, "*.svg"))
	if len(svgs) != 6 { // iops, latency, heatmap for randread and mixed
		t.Errorf("plots: %v", svgs)
	}
	for _, s := range svgs {
		if !strings.Contains(string(md), "]("+filepath.Base(s)+")") {
			t.Errorf("report.md does not show %s", filepath.Base(s))
		}
		counts, text := svgStats(t, s)
		minPaths := 20 // axes and grid take about 10; each series adds lines and markers
		if strings.Contains(s, "heatmap") {
			minPaths = 4 + 4 // the frame and ticks, and one rectangle per cell
		}
		if counts["path"] < minPaths {
			t.Errorf("%s: %d paths: no data drawn?", s, counts["path"])
		}
		if strings.Contains(s, "heatmap") {
			if !strings.Contains(text, "47.8k IOPS") && !strings.Contains(text, "147.0k IOPS") || !strings.Contains(text, "x null_blk") {
				t.Errorf("%s: cells not labelled: %q", s, text)
			}
		} else if !strings.Contains(text, "q2 d128 zstd/16k") || !strings.Contains(text, "null_blk (kernel)") {
			t.Errorf("%s: legend lacks a series: %q", s, text)
		}
	}
	for _, want := range []string{
		"# dadi bench: canned", "dadi bench --null 1G -o out", "## Best configuration per workload",
		"| randread 4k, 1 job | q2 d128 pin:on raw | 64 |", "## mixed 4k, 1 job",
		"| q1 d32 raw | 1 |", "× ref |", "reference: null_blk, loop",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "references.csv")); err != nil {
		t.Error(err)
	}
}

// TestPlotsHaveData: a plot's SVG grows with its data, so an empty plot would be caught.
func TestPlotsHaveData(t *testing.T) {
	rep := cannedReport(t)
	g := groupResults(rep.Results)[0]
	one := g
	one.Results = g.Results[:1]
	dir := t.TempDir()
	vary := rep.Matrix.Varying()
	for _, k := range []plotKind{{"iops", plotIOPS}, {"latency", plotLatency}} {
		full, small := filepath.Join(dir, k.kind+"-full.svg"), filepath.Join(dir, k.kind+"-one.svg")
		if err := k.draw(g, vary, full); err != nil {
			t.Fatal(err)
		}
		if err := k.draw(one, vary, small); err != nil {
			t.Fatal(err)
		}
		cf, _ := svgStats(t, full)
		co, _ := svgStats(t, small)
		if cf["path"] <= co["path"] {
			t.Errorf("%s: %d paths with all series, %d with one", k.kind, cf["path"], co["path"])
		}
	}
	empty := g
	empty.Results = nil
	if err := plotHeatmap(empty, vary, filepath.Join(dir, "h.svg")); err != errNoData {
		t.Errorf("heat map of nothing: %v", err)
	}
}
