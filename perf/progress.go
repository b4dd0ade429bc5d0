package perf

import (
	"fmt"
	"io"
	"time"
)

// progress tells the terminal which job runs, how many are left and how long it has been.
// One line per event rather than a redrawn bar: the output often goes through a VM's serial
// port or a CI log, where carriage returns make a mess.
type progress struct {
	w       io.Writer
	total   int
	done    int
	start   time.Time
	perJob  time.Duration // estimate until jobs have run
	jobTime time.Duration // spent in jobs so far
}

func newProgress(w io.Writer, total int, perJob time.Duration) *progress {
	if w == nil {
		w = io.Discard
	}
	return &progress{w: w, total: total, start: time.Now(), perJob: perJob}
}

// say prints a line that is not a job (building an image, starting a device).
func (p *progress) say(format string, args ...any) {
	fmt.Fprintf(p.w, "         %s  "+format+"\n", append([]any{clock(time.Since(p.start))}, args...)...)
}

// begin announces job number done+1 and returns the function that reports its end.
func (p *progress) begin(what string) func(result string) {
	fmt.Fprintf(p.w, "[%*d/%d] %s  ~%s left  %s\n", width(p.total), p.done+1, p.total,
		clock(time.Since(p.start)), clock(p.left()), what)
	t0 := time.Now()
	return func(result string) {
		p.done++
		p.jobTime += time.Since(t0)
		fmt.Fprintf(p.w, "%*s  %s\n", 2*width(p.total)+3, "", result)
	}
}

// left estimates the time the remaining jobs take from the ones done.
func (p *progress) left() time.Duration {
	per := p.perJob
	if p.done > 0 {
		per = p.jobTime / time.Duration(p.done)
	}
	return per * time.Duration(p.total-p.done)
}

func width(n int) int { return len(fmt.Sprint(n)) }

// clock formats d as m:ss, or h:mm:ss past an hour.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
