//go:build vm

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// These tests boot real VMs, about ten seconds each under emulation, so each boot checks
// many things. They carry the vm tag, so the host tests need no root, qemu or kernel
// download, but they run on the host, not under -exec bin/vmrun: `make test-vmrun`. They build vmrun themselves: the guest's init must be a static build of the
// code under test, not whatever bin/vmrun holds.

var vmrunPath string // built once by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vmrun-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vmrunPath = filepath.Join(dir, "vmrun")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// vmrun returns the built binary, or skips the test on a machine that cannot run VMs, but
// never under CI=true, where a skip would hide a broken VM setup.
func vmrun(t *testing.T) string {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	skip := func(why string) {
		t.Helper()
		if ci {
			t.Fatalf("cannot run VM tests (CI=true never skips): %s", why)
		}
		t.Skip(why)
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		skip("vmrun: VM tests need linux/amd64")
	}
	if os.Geteuid() != 0 && !ci {
		skip("vmrun: VM tests need root (virtiofsd and apt-get do), skipping")
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil && !ci {
		// Under CI vmrun installs qemu itself; elsewhere don't apt-get from a test.
		skip("vmrun: qemu-system-x86_64 not installed, skipping VM tests (bin/vmrun --prepare installs it)")
	}
	if _, err := os.Stat(vmrunPath); err != nil {
		cmd := exec.Command("go", "build", "-trimpath", "-o", vmrunPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	return vmrunPath
}

// result is one vmrun invocation's outcome.
type result struct {
	stdout, stderr string
	status         int
	took           time.Duration
}

func runVM(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(vmrun(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.status = exit.ExitCode()
	case err != nil:
		t.Fatalf("running vmrun: %v", err)
	}
	shown := strings.Join(strings.Fields(strings.Join(args, " ")), " ")
	if len(shown) > 60 {
		shown = shown[:60] + "..."
	}
	t.Logf("vmrun %s: status %d in %v", shown, r.status, r.took.Round(time.Millisecond))
	return r
}

// guestScript checks the guest from inside and prints one line per fact. The shell that runs
// it is a copy of /bin/sh under the host's /tmp, like a test binary that go test -exec hands
// to vmrun, so its running at all proves the copy into the guest's /tmp.
const guestScript = `
echo out:start
echo err:start >&2
echo "pwd:$(pwd)"
echo "var:$VMRUN_TEST_VAR"
echo "exe:$(readlink /proc/$$/exe)"
echo "uid:$(id -u)"
test -c /dev/ublk-control && echo ublk-control:yes
test -c /dev/loop-control && echo loop-control:yes
test -d /sys/kernel/config/nullb && echo nullb-configfs:yes
test -c /dev/null && test -r /proc/self/status && test -d /sys/block && echo dev-proc-sys:yes
echo hello >/tmp/written && test "$(cat /tmp/written)" = hello && echo tmp:writable
if touch /vmrun-readonly-probe 2>/dev/null; then echo root:WRITABLE; else echo root:readonly; fi
test $(( $(cat /sys/class/net/lo/flags) & 1 )) = 1 && echo lo:up
seq 1 30000 | tail -n 1
seq 1 30000 >&2
echo err:end >&2
exit 7
`

// TestVMRunGuest boots once and checks what a command sees and what comes back: exit
// status, separate stdout and stderr (including a bulk of output that must all arrive), the
// working directory and environment, the mounts, the modules, and /tmp handling.
func TestVMRunGuest(t *testing.T) {
	vmrun(t)
	tmpBin, err := os.MkdirTemp("/tmp", "vmrun-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmpBin)
	sh := filepath.Join(tmpBin, "sh")
	copyFile(t, "/bin/sh", sh)
	wd, _ := os.Getwd()

	const value = `a b "c" $d`
	r := runVM(t, []string{"VMRUN_TEST_VAR=" + value}, "--", sh, "-c", guestScript)
	if r.status != 7 {
		t.Errorf("status %d, want 7", r.status)
	}
	want := strings.Join([]string{
		"out:start",
		"pwd:" + wd,
		"var:" + value,
		"exe:" + sh,
		"uid:0",
		"ublk-control:yes",
		"loop-control:yes",
		"nullb-configfs:yes",
		"dev-proc-sys:yes",
		"tmp:writable",
		"root:readonly",
		"lo:up",
		"30000",
	}, "\n") + "\n"
	if r.stdout != want {
		t.Errorf("guest stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
	// stderr also holds vmrun's own line if this run downloaded the kernel.
	var seq strings.Builder
	for i := 1; i <= 30000; i++ {
		fmt.Fprintf(&seq, "%d\n", i)
	}
	if !strings.Contains(r.stderr, "err:start\n"+seq.String()+"err:end\n") {
		t.Errorf("guest stderr (%d bytes) lacks the command's stderr in order; it ends:\n%s", len(r.stderr), lastLines(r.stderr, 20))
	}
	if strings.Contains(r.stderr, "out:") {
		t.Errorf("stdout leaked into stderr:\n%s", lastLines(r.stderr, 20))
	}
}

// TestVMRunStatuses checks the exit statuses vmrun makes: a signal, a timeout, a guest that
// dies, a missing command (which must not need a boot).
func TestVMRunStatuses(t *testing.T) {
	if r := runVM(t, nil, "--", "sh", "-c", "kill -TERM $$"); r.status != 128+15 {
		t.Errorf("killed by SIGTERM: status %d, want 143\n%s", r.status, r.stderr)
	}
	r := runVM(t, nil, "--timeout", "3s", "--", "sleep", "600")
	if r.status != 124 || !strings.Contains(r.stderr, "timed out") {
		t.Errorf("timeout: status %d, want 124, stderr:\n%s", r.status, lastLines(r.stderr, 10))
	}
	if r.took > 30*time.Second {
		t.Errorf("timeout took %v to take effect", r.took)
	}
	// A guest that dies without a report (here a kernel panic) must fail, not hang, and
	// show why.
	r = runVM(t, nil, "--", "sh", "-c", "echo c >/proc/sysrq-trigger")
	if r.status != 125 || !strings.Contains(r.stderr, "without reporting") || !strings.Contains(r.stderr, "Kernel panic") {
		t.Errorf("guest panic: status %d, want 125 and the console, stderr:\n%s", r.status, lastLines(r.stderr, 10))
	}
	r = runVM(t, nil, "--", "vmrun-no-such-command")
	if r.status != 127 || r.took > 5*time.Second {
		t.Errorf("missing command: status %d in %v, want 127 at once\n%s", r.status, r.took, r.stderr)
	}
}

// TestVMRunInterrupt checks that SIGINT stops the VM and virtiofsd and removes the run's
// files: a Ctrl-C must not leave emulators spinning.
func TestVMRunInterrupt(t *testing.T) {
	tmp := t.TempDir() // vmrun's own TMPDIR, so its files and processes can be found
	cmd := exec.Command(vmrun(t), "--", "sleep", "600")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once qemu runs, and whatever the guest is doing by then.
	deadline := time.Now().Add(time.Minute)
	for len(processesMentioning(t, tmp)) < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("interrupted vmrun: %v, want exit status 130\n%s", err, stderr.String())
	}
	if left := processesMentioning(t, tmp); len(left) > 0 {
		t.Errorf("processes left running: %v", left)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
		t.Errorf("files left in TMPDIR: %v", ents)
	}
}

// processesMentioning lists the command lines that contain s: vmrun passes paths in its
// private directory to qemu and virtiofsd.
func processesMentioning(t *testing.T, s string) []string {
	t.Helper()
	var found []string
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range cmdlines {
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte(s)) {
			found = append(found, string(bytes.ReplaceAll(b, []byte{0}, []byte(" "))))
		}
	}
	return found
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
