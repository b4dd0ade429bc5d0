package perf

import (
	"fmt"
	"slices"
)

// group is the results of one access pattern, block size and job count: what one table and
// one set of plots show, with the daemon knobs and iodepth varying inside it.
type group struct {
	RW      Pattern
	BS      int64
	NumJobs int
	Results []Result
}

func (g group) Title() string {
	jobs := "1 job"
	if g.NumJobs != 1 {
		jobs = fmt.Sprintf("%d jobs", g.NumJobs)
	}
	return fmt.Sprintf("%s %s, %s", g.RW, FormatSize(g.BS), jobs)
}

// file names the plot of kind ("iops", "latency", "heatmap") for this group.
func (g group) file(kind string) string {
	return fmt.Sprintf("%s-%s-%s-j%d.svg", kind, g.RW, FormatSize(g.BS), g.NumJobs)
}

// groupResults splits results by pattern, block size and job count, in the order they ran.
func groupResults(rs []Result) []group {
	var out []group
	for _, r := range rs {
		i := slices.IndexFunc(out, func(g group) bool {
			return g.RW == r.Job.RW && g.BS == r.Job.BS && g.NumJobs == r.Job.NumJobs
		})
		if i < 0 {
			out = append(out, group{RW: r.Job.RW, BS: r.Job.BS, NumJobs: r.Job.NumJobs})
			i = len(out) - 1
		}
		out[i].Results = append(out[i].Results, r)
	}
	return out
}

// series is one daemon configuration's results in a group, by rising iodepth.
type series struct {
	Daemon Daemon
	Points []Result
}

func (g group) series() []series {
	var out []series
	for _, r := range g.Results {
		i := slices.IndexFunc(out, func(s series) bool { return s.Daemon == r.Daemon })
		if i < 0 {
			out = append(out, series{Daemon: r.Daemon})
			i = len(out) - 1
		}
		out[i].Points = append(out[i].Points, r)
	}
	for _, s := range out {
		slices.SortFunc(s.Points, func(a, b Result) int { return a.Job.IODepth - b.Job.IODepth })
	}
	return out
}

// refSeries is the group's reference runs, one series per reference device, by iodepth.
func (g group) refSeries() map[string][]*RefResult {
	out := map[string][]*RefResult{}
	seen := map[*RefResult]bool{}
	for _, r := range g.Results {
		if r.Ref != nil && !seen[r.Ref] {
			seen[r.Ref] = true
			out[r.Ref.Name] = append(out[r.Ref.Name], r.Ref)
		}
	}
	for _, rs := range out {
		slices.SortFunc(rs, func(a, b *RefResult) int { return a.Job.IODepth - b.Job.IODepth })
	}
	return out
}

// best is the result with the most IOPS.
func best(rs []Result) Result {
	return slices.MaxFunc(rs, func(a, b Result) int {
		switch {
		case a.IOPS < b.IOPS:
			return -1
		case a.IOPS > b.IOPS:
			return 1
		}
		return 0
	})
}

// meanIOPS ranks a series for plots that can show only a few.
func (s series) meanIOPS() float64 {
	t := 0.0
	for _, p := range s.Points {
		t += p.IOPS
	}
	return t / float64(len(s.Points))
}
