package perf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Run checks the options, runs every entry of the matrix (and its reference jobs), and writes
// the report into o.Out. When a job fails the report of what ran is still written, with a
// note saying where the run stopped.
func Run(ctx context.Context, o Options) error {
	if err := Check(&o); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(o.Out, "fio"), 0o755); err != nil {
		return err
	}
	r := &runner{o: o, m: o.Matrix, layers: map[Image]string{}, refs: map[string]*refDevice{}, refDone: map[string]*RefResult{}}
	rep := &Report{Matrix: o.Matrix, Source: o.Source.String(), Command: o.Command, Host: hostInfo(), Started: time.Now()}
	err := r.run(ctx, rep)
	if cerr := r.cleanup(); err == nil {
		err = cerr
	}
	if err != nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("The run stopped early (%d of %d entries done): %v", len(rep.Results), o.Matrix.Count(), err))
	}
	rep.Elapsed = time.Since(rep.Started)
	return errors.Join(err, WriteReport(o.Out, rep))
}

type runner struct {
	o       Options
	m       *Matrix
	prog    *progress
	work    string
	base    string                // raw data that images are built from
	layers  map[Image]string      // built layers
	refs    map[string]*refDevice // open reference devices, by refKey; nil: none to be had
	refDone map[string]*RefResult // reference results, by refKey and job
	uppers  int
}

func (r *runner) run(ctx context.Context, rep *Report) error {
	work, err := os.MkdirTemp(r.o.Work, "dadi-bench-")
	if err != nil {
		return err
	}
	r.work = work
	daemons, jobs := r.m.daemons(), r.m.jobs()
	total := len(daemons) * len(jobs)
	if r.m.Reference {
		keys := map[string]bool{}
		for _, d := range daemons {
			if k := r.refKey(d); k != "" {
				keys[k] = true
			}
		}
		total += len(keys) * len(jobs)
	}
	r.prog = newProgress(r.o.Progress, total, r.m.Runtime+r.m.Ramp+time.Second)
	r.prog.say("%d entries on %s (%d dadi configurations × %d fio jobs), ~%s", len(daemons)*len(jobs), r.o.Source, len(daemons), len(jobs), clock(r.prog.left()))
	if r.o.Source.Device != "" {
		return r.runDevice(ctx, jobs, rep)
	}
	for _, d := range daemons {
		if err := r.runReference(ctx, d, jobs, rep); err != nil {
			return err
		}
		if err := r.runDaemon(ctx, d, jobs, rep); err != nil {
			return err
		}
	}
	return nil
}

// runDaemon starts dadi as d says, runs every job on it, and stops it.
func (r *runner) runDaemon(ctx context.Context, d Daemon, jobs []Job, rep *Report) error {
	target, cleanup, err := r.target(d)
	if err != nil {
		return err
	}
	defer cleanup()
	dev, err := r.start(d, target)
	if err != nil {
		return err
	}
	// On a failure the daemon is still stopped the gentle way: killed, it would leave its
	// device behind.
	devSize, err := deviceSize(dev.Device)
	if err != nil {
		dev.stop()
		return err
	}
	label := d.Label(nil)
	for _, j := range jobs {
		e := Entry{ID: len(rep.Results) + 1, Daemon: d, Job: j}
		res, err := r.runEntry(ctx, e, dev, devSize, label)
		if err != nil {
			dev.stop()
			return err
		}
		res.Ref = r.refDone[r.refKey(d)+"|"+j.String()]
		rep.Results = append(rep.Results, res)
	}
	return dev.stop()
}

// runDevice runs the jobs on an existing device: no daemon, so no CPU figure, and the zero
// Daemon, as Check made sure the matrix set no dadi knob.
func (r *runner) runDevice(ctx context.Context, jobs []Job, rep *Report) error {
	dev := r.o.Source.Device
	size, err := deviceSize(dev)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		e := Entry{ID: len(rep.Results) + 1, Job: j}
		end := r.prog.begin(fmt.Sprintf("%s | %s", dev, j))
		rel, st, err := r.fio(ctx, fmt.Sprintf("%03d-%s", e.ID, fileLabel(j.String())), dev, size, j)
		if err != nil {
			return err
		}
		rep.Results = append(rep.Results, Result{Entry: e, Device: dev, Stats: st, CPU: -1, JSON: rel})
		end(summary(st, -1, nil))
	}
	return nil
}

func (r *runner) start(d Daemon, target []string) (*daemon, error) {
	args := serveArgs(target, d)
	dev, err := startDaemon(r.o.Dadi, args, time.Minute)
	if err != nil {
		return nil, err
	}
	r.prog.say("dadi %s: %s", strings.Join(args, " "), dev.Device)
	return dev, nil
}

func (r *runner) runEntry(ctx context.Context, e Entry, dev *daemon, devSize int64, label string) (Result, error) {
	name := fmt.Sprintf("%03d-%s-%s", e.ID, fileLabel(label), fileLabel(e.Job.String()))
	end := r.prog.begin(fmt.Sprintf("dadi %s | %s", label, e.Job))
	cpu0, err := cpuSeconds(dev.Pid())
	if err != nil {
		return Result{}, err
	}
	t0 := time.Now()
	raw, st, err := r.fio(ctx, name, dev.Device, devSize, e.Job)
	wall := time.Since(t0).Seconds()
	if err != nil {
		return Result{}, err
	}
	cpu1, err := cpuSeconds(dev.Pid())
	if err != nil {
		return Result{}, fmt.Errorf("dadi serve for %s: %w (did it die?)", dev.Device, err)
	}
	res := Result{Entry: e, Device: dev.Device, Stats: st, CPU: 100 * (cpu1 - cpu0) / wall, JSON: raw}
	ref := r.refDone[r.refKey(e.Daemon)+"|"+e.Job.String()]
	end(summary(st, res.CPU, ref))
	return res, nil
}

// fio runs one job and keeps its raw JSON under fio/; it returns that file's relative path.
func (r *runner) fio(ctx context.Context, name, dev string, devSize int64, j Job) (string, Stats, error) {
	raw, st, err := runFio(ctx, fioArgs(name, dev, devSize, j, r.m.Runtime, r.m.Ramp), r.work)
	rel := filepath.Join("fio", name+".json")
	if len(raw) > 0 {
		if werr := os.WriteFile(filepath.Join(r.o.Out, rel), raw, 0o644); werr != nil && err == nil {
			err = werr
		}
	}
	return rel, st, err
}

// summary is the line printed when a job ends.
func summary(st Stats, cpu float64, ref *RefResult) string {
	s := fmt.Sprintf("-> %.0f IOPS  %.1f MiB/s  p99 %s", st.IOPS, st.BWBytes/(1<<20), micros(st.LatP99))
	if cpu >= 0 {
		s += fmt.Sprintf("  daemon CPU %.0f%%", cpu)
	}
	if ref != nil && ref.IOPS > 0 {
		s += "  " + times(st.IOPS/ref.IOPS) + " " + ref.Name
	}
	return s
}

// fileLabel makes a label usable in a file name.
func fileLabel(s string) string {
	return strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			return c
		}
		return '-'
	}, s)
}

func hostInfo() Host {
	h := Host{CPUs: runtime.NumCPU()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h.Kernel = strings.TrimSpace(string(b))
	}
	h.Fio = fioVersion()
	return h
}
