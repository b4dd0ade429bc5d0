package vm

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/dadi-dev/dadi/internal/vm/job"
)

// How long the host waits for the end of things once the command is done: output still in
// flight, then the guest's power-off.
const (
	drainTimeout    = 10 * time.Second
	poweroffTimeout = 15 * time.Second
	killGrace       = 2 * time.Second
)

// boot is one qemu run of one job.
type boot struct {
	opts Options
	dir  string
	m    machine
	sigs <-chan os.Signal // SIGINT and the like: stop the VM and clean up
}

// run starts qemu, relays the guest's output and waits for its report, a timeout, a signal,
// or qemu's end, whichever comes first.
func (b *boot) run() (int, error) {
	var ours, theirs []*os.File
	defer func() {
		for _, f := range append(ours, theirs...) {
			f.Close()
		}
	}()
	for _, name := range []string{"console", portStdout, portStderr, portCtl} {
		o, t, err := socketPair(name)
		if err != nil {
			return StatusFailed, err
		}
		ours, theirs = append(ours, o), append(theirs, t)
	}
	con, out, errp, ctl := ours[0], ours[1], ours[2], ours[3]

	qemuBin, ok := findTool("qemu-system-x86_64")
	if !ok {
		return StatusFailed, fmt.Errorf("qemu-system-x86_64 not found")
	}
	qlogPath := filepath.Join(b.dir, "qemu.log")
	qlog, err := os.Create(qlogPath)
	if err != nil {
		return StatusFailed, fmt.Errorf("qemu log: %w", err)
	}
	defer qlog.Close()
	cmd := exec.Command(qemuBin, qemuArgs(b.m)...)
	cmd.Stdout, cmd.Stderr = qlog, qlog
	cmd.ExtraFiles = theirs // fdConsole, fdStdout, fdStderr, fdCtl in that order
	start := time.Now()
	qemu, err := startProc(cmd)
	if err != nil {
		return StatusFailed, fmt.Errorf("starting qemu: %w", err)
	}
	defer qemu.stop(killGrace)
	for _, f := range theirs {
		f.Close() // qemu has them; our copies would hide its exit from the readers.
	}
	theirs = nil

	var live io.Writer
	if b.opts.Verbose {
		live = b.opts.Stderr
	}
	console, err := startConsoleLog(con, filepath.Join(b.dir, "console.log"), live)
	if err != nil {
		return StatusFailed, fmt.Errorf("console log: %w", err)
	}
	stdout := copyStream(b.opts.Stdout, out)
	stderr := copyStream(b.opts.Stderr, errp)
	reports := readReports(ctl)
	timeout := time.NewTimer(b.opts.Timeout)
	defer timeout.Stop()

	// failed explains a guest that ended without a report, with the end of its console
	// (unless that was shown live) and whatever qemu said.
	failed := func(why string) error {
		msg := why
		if !b.opts.Verbose {
			msg += "\n--- guest console (last lines) ---\n" + console.tail(40)
		}
		qemuLog, _ := os.ReadFile(qlogPath)
		if s := tail(qemuLog, 10); s != "" {
			msg += "\n--- qemu ---\n" + s
		}
		return fmt.Errorf("%s", msg)
	}

	for {
		select {
		case r, ok := <-reports:
			if !ok {
				reports = nil // The port closed with qemu; its exit comes next.
				continue
			}
			if r.Started {
				if b.opts.Verbose {
					fmt.Fprintf(b.opts.Stderr, "vmrun: guest ready in %.2fs (kernel uptime %.2fs)\n", time.Since(start).Seconds(), r.Uptime)
				}
				continue
			}
			return b.finish(r, qemu, ctl, stdout, stderr)
		case <-qemu.done:
			// A report may still sit in the channel if qemu ended right after sending it. (A
			// nil channel has already been drained and closed.)
			for r := range orClosed(reports) {
				if !r.Started {
					return b.finish(r, qemu, ctl, stdout, stderr)
				}
			}
			why := "the VM stopped without reporting an exit status (kernel panic or init failure?)"
			if qemu.err != nil {
				why += fmt.Sprintf(" (qemu: %v)", qemu.err)
			}
			return StatusFailed, failed(why)
		case <-timeout.C:
			qemu.stop(killGrace)
			return StatusTimeout, failed(fmt.Sprintf("timed out after %v; killed the VM", b.opts.Timeout))
		case s := <-b.sigs:
			qemu.stop(killGrace)
			sig, _ := s.(syscall.Signal)
			return 128 + int(sig), fmt.Errorf("%v: killed the VM", s)
		}
	}
}

// finish takes the guest's final report: it waits until all output the guest sent has been
// relayed, lets the guest power off, and returns the command's status.
func (b *boot) finish(r job.Report, qemu *proc, ctl *os.File, stdout, stderr *outStream) (int, error) {
	okOut := stdout.waitFor(r.Stdout, drainTimeout)
	okErr := stderr.waitFor(r.Stderr, drainTimeout)
	ctl.Write([]byte(job.ReportAck)) //nolint:errcheck // if the guest is gone, so much the better
	select {
	case <-qemu.done:
	case <-time.After(poweroffTimeout):
		qemu.stop(killGrace)
	}
	if !okOut || !okErr {
		fmt.Fprintf(b.opts.Stderr, "vmrun: some of the command's output was lost (stdout %d of %d bytes, stderr %d of %d)\n",
			stdout.n.Load(), r.Stdout, stderr.n.Load(), r.Stderr)
	}
	if r.Error != "" {
		return r.Status, fmt.Errorf("in the guest: %s", r.Error)
	}
	return r.Status, nil
}

// orClosed makes ranging over a nil channel end at once instead of blocking forever.
func orClosed(ch <-chan job.Report) <-chan job.Report {
	if ch == nil {
		closed := make(chan job.Report)
		close(closed)
		return closed
	}
	return ch
}
