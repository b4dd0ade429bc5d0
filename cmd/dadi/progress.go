package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// Progress bars: the one way the CLI draws them (bytes done of a total, percent, speed), on a
// terminal only.

// terminalProgress is a progress container drawing on w, width columns wide, or nil when w
// is not a terminal.
func terminalProgress(w io.Writer, width int) *mpb.Progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return mpb.New(mpb.WithOutput(f), mpb.WithWidth(width))
}

// addByteBar adds a bar of total bytes named label.
func addByteBar(p *mpb.Progress, label string, total int64) *mpb.Bar {
	return p.AddBar(total,
		mpb.PrependDecorators(decor.Name(label+" "), decor.CountersKibiByte("% .1f / % .1f")),
		mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.AverageSpeed(decor.SizeB1024(0), " % .1f")),
	)
}

// zfileProgress is a progress bar on stderr when stderr is a terminal and the job is long
// enough to be worth one; otherwise its methods do nothing.
type zfileProgress struct {
	p   *mpb.Progress
	bar *mpb.Bar
}

// zfileProgressMin is the smallest job that gets a bar.
const zfileProgressMin = 64 << 20

func newZfileProgress(cmd *cobra.Command, label string, total int64) *zfileProgress {
	p := terminalProgress(cmd.ErrOrStderr(), 50)
	if p == nil || total < zfileProgressMin {
		return &zfileProgress{}
	}
	return &zfileProgress{p: p, bar: addByteBar(p, label, total)}
}

// set moves the bar to done bytes (a progress callback of the zfile package).
func (z *zfileProgress) set(done int64) {
	if z.bar != nil {
		z.bar.SetCurrent(done)
	}
}

func (z *zfileProgress) done(ok bool) {
	if z.bar == nil {
		return
	}
	if !ok {
		z.bar.Abort(false)
	}
	z.bar.SetTotal(-1, true)
	z.p.Wait()
}
