//go:build vm

package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/dadi-dev/dadi/ublk"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// panicAtEnv names the byte offset at which the serve helper plants a panic. It is read only
// here, in the test binary: bin/dadi never looks at it.
const panicAtEnv = "DADI_TEST_SERVE_PANIC_AT"

// TestVMPanicServeHelper is not a test: run by TestVMPanicServeExitStatus as a child process
// with panicAtEnv set, it is `dadi serve` (the arguments after --) with a target that panics
// on requests touching that offset. The test binary holds the whole CLI (package main), so
// this is serve's own code, hook included, without a test-only build of bin/dadi.
func TestVMPanicServeHelper(t *testing.T) {
	at := os.Getenv(panicAtEnv)
	if at == "" {
		t.Skip("helper process for TestVMPanicServeExitStatus")
	}
	off, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, panicAtEnv+":", err)
		os.Exit(2)
	}
	testWrapTarget = func(t ublk.Target) ublk.Target { return panicAtTarget{Target: t, off: off} }
	root := newRootCmd()
	root.SetArgs(flag.Args())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "dadi:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

type panicAtTarget struct {
	ublk.Target
	off int64
}

func (t panicAtTarget) NewQueue(q ublk.QueueContext) (ublk.QueueTarget, error) {
	inner, err := t.Target.NewQueue(q)
	if err != nil {
		return nil, err
	}
	return panicAtQueue{QueueTarget: inner, off: t.off}, nil
}

type panicAtQueue struct {
	ublk.QueueTarget
	off int64
}

func (q panicAtQueue) Handle(tag uint16, req *ublk.Request) (int32, bool) {
	if req.Offset <= q.off && q.off < req.Offset+int64(req.Length) {
		panic(fmt.Sprintf("planted bug at offset %d", q.off))
	}
	return q.QueueTarget.Handle(tag, req)
}

// `dadi serve` whose target panicked answers those requests with EIO, keeps serving the rest,
// and exits 1 at stop with one line saying how many requests panicked; with the same hook
// planted but never hit it exits 0.
func TestVMPanicServeExitStatus(t *testing.T) {
	vmtest.RequireUblk(t)
	const at = 32 << 20

	d := startPanicServe(t, at, "--null", "64M", "--queues", "2")
	require.NoError(t, preadDirect(d.device, 0))
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, d.wait(t), "no panic, clean exit: %s", d.stderr.String())
	requireGone(t, d.id)

	d = startPanicServe(t, at, "--null", "64M", "--queues", "2")
	require.ErrorIs(t, preadDirect(d.device, at), syscall.EIO)
	require.NoError(t, preadDirect(d.device, at+4096), "the device keeps serving")
	require.ErrorIs(t, preadDirect(d.device, at), syscall.EIO)
	require.NoError(t, preadDirect(d.device, 0))
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGTERM))
	err := d.wait(t)
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, d.stderr.String())
	require.Equal(t, 1, exit.ExitCode())
	stderr := d.stderr.String()
	require.Contains(t, stderr, "dadi: 2 requests panicked in the target and were answered with EIO")
	require.Equal(t, 1, strings.Count(stderr, "target panicked"), "one stack for one site:\n%s", stderr)
	require.Contains(t, stderr, "planted bug at offset 33554432")
	requireGone(t, d.id)
}

type panicServe struct {
	cmd    *exec.Cmd
	device string
	id     int
	stderr *bytes.Buffer
}

// startPanicServe runs this test binary as `dadi serve ARGS...` with a panic planted at off,
// and waits for its ready line.
func startPanicServe(t *testing.T, off int64, args ...string) *panicServe {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(self, append([]string{"-test.run=^TestVMPanicServeHelper$", "--", "serve"}, args...)...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", panicAtEnv, off))
	d := &panicServe{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = d.stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "ready /dev/ublkb") {
				ready <- strings.TrimPrefix(line, "ready ")
			}
		}
	}()
	select {
	case d.device = <-ready:
	case <-time.After(2 * time.Minute):
		t.Fatalf("serve helper not ready within 2 minutes: %s", d.stderr.String())
	}
	_, err = fmt.Sscanf(d.device, "/dev/ublkb%d", &d.id)
	require.NoError(t, err)
	return d
}

// wait waits for the daemon to exit, at most a minute (emulation is slow), and returns its
// exit error.
func (d *panicServe) wait(t *testing.T) error {
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		d.cmd.Process.Kill()
		t.Fatalf("serve helper did not exit within a minute: %s", d.stderr.String())
		return errors.New("unreachable")
	}
}

// preadDirect reads 4 KiB at off with O_DIRECT, so the request reaches the device once,
// without the page cache's readahead or retries.
func preadDirect(dev string, off int64) error {
	fd, err := unix.Open(dev, unix.O_RDONLY|unix.O_DIRECT|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	buf, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return err
	}
	defer unix.Munmap(buf)
	_, err = unix.Pread(fd, buf, off)
	return err
}
