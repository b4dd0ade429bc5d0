package perf

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// writeMarkdown writes report.md: what ran where, the best configuration per workload, then
// per workload its plots and a table of every entry with the reference beside it.
func writeMarkdown(w io.Writer, rep *Report, plots map[string][]string) error {
	b := &strings.Builder{}
	m := rep.Matrix
	fmt.Fprintf(b, "# dadi bench: %s\n\n", m.Name)
	if rep.Command != "" {
		fmt.Fprintf(b, "```sh\n%s\n```\n\n", rep.Command)
	}
	fmt.Fprintf(b, "- **source**: %s, served by `dadi serve`%s\n", rep.Source, refNames(rep))
	fmt.Fprintf(b, "- **host**: Linux %s, %d CPUs, %s\n", rep.Host.Kernel, rep.Host.CPUs, rep.Host.Fio)
	fmt.Fprintf(b, "- **run**: %s, took %s: %d entries, %d reference jobs\n",
		rep.Started.UTC().Format(time.DateTime+" UTC"), clock(rep.Elapsed), len(rep.Results), len(rep.Refs))
	fmt.Fprintf(b, "- **matrix** (%d entries): %s\n\n", m.Count(), matrixLine(m))
	b.WriteString("IOPS and MiB/s are fio's over the measured time; latencies are completion latency " +
		"(clat); **CPU** is the `dadi serve` process's user + system time over the job's wall " +
		"time (100% = one CPU); **× ref** is dadi's IOPS over the kernel reference device's for " +
		"the same fio job in the same run. Compare ratios rather than absolute figures across machines.\n\n")
	for _, n := range rep.Notes {
		fmt.Fprintf(b, "> **Note:** %s\n\n", n)
	}
	groups := groupResults(rep.Results)
	vary := m.Varying()
	if len(groups) > 0 {
		b.WriteString("## Best configuration per workload\n\n")
		b.WriteString("| workload | best configuration | iodepth | IOPS | × ref | p99 | CPU |\n|---|---|--:|--:|--:|--:|--:|\n")
		for _, g := range groups {
			r := best(g.Results)
			fmt.Fprintf(b, "| %s | %s | %d | %s | %s | %s | %s |\n", g.Title(), r.Daemon.Label(nil),
				r.Job.IODepth, kilo(r.IOPS), ratio(r), micros(r.LatP99), percent(r.CPU))
		}
		b.WriteString("\n")
	}
	for _, g := range groups {
		fmt.Fprintf(b, "## %s\n\n", g.Title())
		for _, f := range plots[g.Title()] {
			fmt.Fprintf(b, "![%s](%s)\n\n", strings.TrimSuffix(f, ".svg"), f)
		}
		b.WriteString("| configuration | iodepth | IOPS | MiB/s | mean | p50 | p99 | p99.9 | CPU | ref IOPS | ref p99 | × ref |\n")
		b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, s := range g.series() {
			for _, r := range s.Points {
				refIOPS, refP99 := "–", "–"
				if r.Ref != nil {
					refIOPS, refP99 = kilo(r.Ref.IOPS), micros(r.Ref.LatP99)
				}
				fmt.Fprintf(b, "| %s | %d | %s | %.1f | %s | %s | %s | %s | %s | %s | %s | %s |\n",
					s.Daemon.Label(vary), r.Job.IODepth, kilo(r.IOPS), r.BWBytes/(1<<20), micros(r.LatMean),
					micros(r.LatP50), micros(r.LatP99), micros(r.LatP999), percent(r.CPU), refIOPS, refP99, ratio(r))
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("Raw fio output is in `fio/`, every figure in `results.csv` and `references.csv`.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func ratio(r Result) string {
	if x := r.Ratio(); x > 0 {
		return strings.TrimSuffix(times(x), "x") + "×"
	}
	return "–"
}

// percent is a daemon's CPU use, or a dash for a --device run, which has no daemon.
func percent(cpu float64) string {
	if cpu < 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", cpu)
}

// refNames says which reference devices the run compared with.
func refNames(rep *Report) string {
	var names []string
	for _, r := range rep.Refs {
		if !slices.Contains(names, r.Name) {
			names = append(names, r.Name)
		}
	}
	if len(names) == 0 {
		return "; no reference device"
	}
	return "; reference: " + strings.Join(names, ", ") + " (the kernel's own driver)"
}

// matrixLine lists the knobs and settings in one line.
func matrixLine(m *Matrix) string {
	var parts []string
	add := func(k string, vs []string) { parts = append(parts, k+" "+strings.Join(vs, " ")) }
	add("rw", mapStrings(m.RW, func(p Pattern) string { return string(p) }))
	add("bs", mapStrings(m.BS, FormatSize))
	add("iodepth", mapStrings(m.IODepth, strconv.Itoa))
	add("numjobs", mapStrings(m.NumJobs, strconv.Itoa))
	add("queues", mapStrings(m.Queues, strconv.Itoa))
	add("depth", mapStrings(m.Depth, strconv.Itoa))
	add("pin", m.Pin)
	add("codec", mapStrings(m.Codec, func(c Codec) string { return string(c) }))
	if m.Given("zfile_bs") {
		add("zfile_bs", mapStrings(m.ZFileBS, FormatSize))
	}
	add("runtime", []string{m.Runtime.String()})
	add("ramp", []string{m.Ramp.String()})
	return strings.Join(parts, " · ")
}

func mapStrings[T any](vs []T, f func(T) string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = f(v)
	}
	return out
}
