package guest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dadi-dev/dadi/internal/vm/job"
	"golang.org/x/sys/unix"
)

// IsGuest says whether this process is the init of a vmrun guest: PID 1 with a job in its
// root. The job check keeps vmrun usable as PID 1 of a container on the host.
func IsGuest() bool {
	if os.Getpid() != 1 {
		return false
	}
	_, err := os.Stat(job.FilePath)
	return err == nil
}

// guest is the init's state. Its stderr is the kernel console, which the host only shows
// when things went wrong or in verbose mode.
type guest struct {
	job   *job.Job
	ports map[string]*os.File
}

// Main is the guest's init. It never returns: whatever happens, it powers the VM off,
// after reporting to the host if it got far enough to have the control port.
func Main() {
	g := &guest{}
	r := g.main()
	if ctl := g.ports[job.PortCtl]; ctl != nil {
		if _, err := ctl.Write(job.EncodeReport(r)); err == nil {
			g.awaitAck(ctl)
		}
	} else {
		fmt.Fprintf(os.Stderr, "vmrun-init: no control port to report on: %s (status %d)\n", r.Error, r.Status)
	}
	unix.Sync()
	// Power-off with -no-reboot ends qemu; if it somehow fails, exiting panics the kernel,
	// which panic=-1 turns into a reboot, which also ends qemu.
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF) //nolint:errcheck
	os.Exit(1)
}

// main sets the guest up and runs the command; failures become a report with an error.
func (g *guest) main() job.Report {
	fail := func(err error) job.Report {
		fmt.Fprintf(os.Stderr, "vmrun-init: %v\n", err)
		return job.Report{Status: job.StatusFailed, Error: err.Error()}
	}
	if err := mountEarly(); err != nil {
		return fail(err)
	}
	b, err := os.ReadFile(job.FilePath)
	if err != nil {
		return fail(fmt.Errorf("reading job: %w", err))
	}
	if g.job, err = job.Decode(b); err != nil {
		return fail(err)
	}
	g.logf("init started")
	if err := loadModules(g.job.Modules, g.logf); err != nil {
		return fail(err)
	}
	if g.ports, err = openPorts(job.PortStdout, job.PortStderr, job.PortCtl); err != nil {
		return fail(err)
	}
	g.logf("ports open")
	if err := g.mountHost(); err != nil {
		return fail(err)
	}
	if err := loopbackUp(); err != nil {
		g.logf("loopback: %v", err)
	}
	if err := unix.Chroot(hostMount); err != nil {
		return fail(fmt.Errorf("chroot %s: %w", hostMount, err))
	}
	if err := os.Chdir(g.job.Dir); err != nil {
		return fail(fmt.Errorf("working directory: %w", err))
	}
	g.logf("running %q", g.job.Argv)
	g.ports[job.PortCtl].Write(job.EncodeReport(job.Report{Started: true, Uptime: uptime()})) //nolint:errcheck // the final report will fail too
	return g.runCommand()
}

// awaitAck waits, within reason, for the host to say it has all output: powering off
// earlier could drop bytes still queued in the virtio rings.
func (g *guest) awaitAck(ctl *os.File) {
	done := make(chan struct{})
	go func() {
		buf := make([]byte, len(job.ReportAck))
		ctl.Read(buf) //nolint:errcheck // any answer, or none, ends the wait
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		fmt.Fprintln(os.Stderr, "vmrun-init: no acknowledgement from the host; powering off anyway")
	}
}

// logf narrates setup on the console in verbose mode, stamped with the guest's uptime.
func (g *guest) logf(format string, args ...any) {
	if g.job == nil || g.job.Verbose {
		fmt.Fprintf(os.Stderr, "[%12.6f] vmrun-init: %s\n", uptime(), fmt.Sprintf(format, args...))
	}
}

// uptime is the guest kernel's clock, in seconds, or 0 before /proc is mounted.
func uptime() float64 {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0
	}
	f, _, _ := strings.Cut(string(b), " ")
	v, _ := strconv.ParseFloat(f, 64)
	return v
}
