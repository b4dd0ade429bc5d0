package vmtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// RequireUblk fails the test unless the kernel has ublk: VM tests run only where it must be.
func RequireUblk(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/dev/ublk-control"); err != nil {
		t.Fatalf("no /dev/ublk-control: VM tests must run inside bin/vmrun (make test-vm): %v", err)
	}
}

// RepoRoot is the directory holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatal("go.mod not found above " + wd)
		}
	}
}

// Dadi is the path of bin/dadi, which `make build` makes before the VM tests run.
func Dadi(t testing.TB) string {
	t.Helper()
	p := filepath.Join(RepoRoot(t), "bin", "dadi")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s missing: run `make build` first: %v", p, err)
	}
	return p
}

// Run runs a command and fails the test with its output if it fails.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Daemon is a `dadi serve` running in the background.
type Daemon struct {
	Cmd    *exec.Cmd
	Device string // /dev/ublkbN from the ready line
	ID     int
	stderr *LockedBuffer
}

// readyWait bounds how long `dadi serve` may take to print its ready line (before Scale): under
// TCG on a loaded host opening an image and adding a device takes tens of seconds.
const readyWait = 3 * time.Minute

// StartDaemon runs `dadi serve ARGS...` and waits for its ready line.
func StartDaemon(t testing.TB, args ...string) *Daemon {
	t.Helper()
	d, err := TryStartDaemon(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TryStartDaemon is StartDaemon that reports a failure to start instead of failing the test.
func TryStartDaemon(t testing.TB, args ...string) (*Daemon, error) {
	t.Helper()
	cmd := exec.Command(Dadi(t), append([]string{"serve"}, args...)...)
	stderr := &LockedBuffer{}
	cmd.Stderr = stderr // exec copies into it from its own goroutine while tests read it
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d := &Daemon{Cmd: cmd, stderr: stderr}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	select {
	case line, ok := <-lines:
		if !ok || !strings.HasPrefix(line, "ready /dev/ublkb") {
			cmd.Wait()
			return nil, fmt.Errorf("dadi serve %v did not become ready (%q): %s", args, line, stderr.String())
		}
		d.Device = strings.TrimPrefix(line, "ready ")
		fmt.Sscanf(d.Device, "/dev/ublkb%d", &d.ID)
		return d, nil
	case <-time.After(Scale(readyWait)):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("dadi serve %v: no ready line in %s (%s scales it): %s", args, Scale(readyWait), ScaleEnv, stderr.String())
	}
}

// Stderr is what the daemon logged so far.
func (d *Daemon) Stderr() string { return d.stderr.String() }

// Wait waits for the daemon to exit, at most Scale(timeout).
func (d *Daemon) Wait(timeout time.Duration) error {
	timeout = Scale(timeout)
	done := make(chan error, 1)
	go func() { done <- d.Cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		d.Cmd.Process.Kill()
		return fmt.Errorf("daemon did not exit within %s (%s scales it)", timeout, ScaleEnv)
	}
}

// WaitGone waits until path no longer exists, at most Scale(timeout).
func WaitGone(path string, timeout time.Duration) error {
	gone := func() bool { _, err := os.Stat(path); return os.IsNotExist(err) }
	if !Poll(timeout, 20*time.Millisecond, gone) {
		return fmt.Errorf("%s still exists after %s (%s scales it)", path, Scale(timeout), ScaleEnv)
	}
	return nil
}

// FioJob is the part of one fio job's JSON result that tests read.
type FioJob struct {
	Name  string     `json:"jobname"`
	Error int        `json:"error"`
	Read  FioDirStat `json:"read"`
	Write FioDirStat `json:"write"`
}

// FioDirStat is one direction of a fio job.
type FioDirStat struct {
	IOPS     float64 `json:"iops"`
	BWBytes  int64   `json:"bw_bytes"`
	IOBytes  int64   `json:"io_bytes"`
	TotalIOs int64   `json:"total_ios"`
	ClatNs   struct {
		Percentile map[string]float64 `json:"percentile"`
		Mean       float64            `json:"mean"`
	} `json:"clat_ns"`
}

// FioResult is fio's --output-format=json.
type FioResult struct {
	Jobs []FioJob `json:"jobs"`
}

// Fio runs fio with args plus JSON output, returns the result, and fails the test if fio
// fails or any job reports an error.
func Fio(t testing.TB, args ...string) FioResult {
	t.Helper()
	res, out, err := TryFio(context.Background(), args...)
	if err != nil {
		t.Fatalf("fio %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return res
}

// TryFio runs fio and returns its parsed result, its raw output and any failure, including a
// job's non-zero error.
func TryFio(ctx context.Context, args ...string) (FioResult, string, error) {
	var res FioResult
	cmd := exec.CommandContext(ctx, "fio", append([]string{"--output-format=json"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Dir = os.TempDir() // fio may write verify state files into its working directory
	err := cmd.Run()
	out := stdout.String() + stderr.String()
	if jerr := decodeFio(stdout.Bytes(), &res); jerr != nil && err == nil {
		err = jerr
	}
	if err != nil {
		return res, out, err
	}
	for _, j := range res.Jobs {
		if j.Error != 0 {
			return res, out, fmt.Errorf("fio job %s: error %d", j.Name, j.Error)
		}
	}
	return res, out, nil
}

// decodeFio skips any text fio prints before its JSON (notes about the environment).
func decodeFio(b []byte, res *FioResult) error {
	i := bytes.IndexByte(b, '{')
	if i < 0 {
		return fmt.Errorf("no JSON in fio output")
	}
	return json.NewDecoder(io.NopCloser(bytes.NewReader(b[i:]))).Decode(res)
}
