package perf

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// daemon is a `dadi serve` the runner started, serving Device until stop.
type daemon struct {
	cmd     *exec.Cmd
	Device  string
	stderr  *lockedBuffer
	exited  chan struct{} // closed once cmd.Wait returned, with its error in waitErr
	waitErr error
}

// serveArgs are the flags that start d over target ("--null 1G", "--file P", "--config C").
func serveArgs(target []string, d Daemon) []string {
	args := append([]string{"serve"}, target...)
	args = append(args, "--queues", strconv.Itoa(d.Queues), "--depth", strconv.Itoa(d.Depth))
	switch d.Pin {
	case PinOn: // serve's default: each queue on the CPUs the kernel maps to it
	case PinOff:
		args = append(args, "--cpus", "none")
	default:
		args = append(args, "--cpus", d.Pin)
	}
	return args
}

// startDaemon runs dadi with args and waits for its "ready /dev/ublkbN" line.
func startDaemon(dadi string, args []string, timeout time.Duration) (*daemon, error) {
	cmd := exec.Command(dadi, args...)
	d := &daemon{cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = d.stderr
	ready := &firstLine{ch: make(chan string, 1)}
	cmd.Stdout = ready
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// One goroutine waits for the daemon for its whole life: a daemon that fails before its
	// ready line is then noticed at once rather than at the timeout.
	go func() {
		d.waitErr = cmd.Wait()
		close(d.exited)
	}()
	desc := "dadi " + strings.Join(args, " ")
	select {
	case line := <-ready.ch:
		if strings.HasPrefix(line, "ready /dev/") {
			d.Device = strings.TrimPrefix(line, "ready ")
			return d, nil
		}
		d.kill()
		return nil, fmt.Errorf("%s did not become ready (%q): %s", desc, line, lastLines(d.stderr.String(), 5))
	case <-d.exited:
		d.kill()
		return nil, fmt.Errorf("%s exited before it was ready: %s", desc, lastLines(d.stderr.String(), 5))
	case <-time.After(timeout):
		d.kill()
		return nil, fmt.Errorf("%s: no ready line in %s: %s", desc, timeout, lastLines(d.stderr.String(), 5))
	}
}

// Pid is the daemon's process id, whose CPU time the runner reads.
func (d *daemon) Pid() int { return d.cmd.Process.Pid }

// stop asks the daemon to stop and delete its device, as Ctrl-C would, and waits for it.
func (d *daemon) stop() error {
	d.cmd.Process.Signal(os.Interrupt) // fails only if it already exited, which waitErr tells
	select {
	case <-d.exited:
		if d.waitErr != nil {
			return fmt.Errorf("dadi serve for %s: %v: %s", d.Device, d.waitErr, lastLines(d.stderr.String(), 5))
		}
		return nil
	case <-time.After(stopWait):
		d.kill()
		return fmt.Errorf("dadi serve for %s did not stop within %s; killed", d.Device, stopWait)
	}
}

// stopWait bounds a daemon's stop: deleting a device takes well under a second natively, tens
// of seconds in a loaded TCG VM. Only a hung daemon reaches it.
const stopWait = 3 * time.Minute

func (d *daemon) kill() {
	d.cmd.Process.Kill()
	<-d.exited
}

// firstLine hands the first line written to it to ch and drops the rest, so the daemon
// never blocks on a full pipe.
type firstLine struct {
	buf  []byte
	ch   chan string
	sent bool
}

func (f *firstLine) Write(p []byte) (int, error) {
	if !f.sent && len(f.buf) < 4096 {
		f.buf = append(f.buf, p...)
		if i := bytes.IndexByte(f.buf, '\n'); i >= 0 {
			f.ch <- string(f.buf[:i])
			f.sent, f.buf = true, nil
		}
	}
	return len(p), nil
}

// lockedBuffer collects a child's stderr, which exec copies from its own goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
