//go:build vm

package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/stretchr/testify/require"
)

func dadi(t *testing.T, args ...string) (string, error) {
	t.Helper()
	// A bounded wait: a command that wrongly succeeds (serve runs until stopped) must fail the
	// test, not hang it. Minutes, as everything takes 10-30x longer under TCG.
	ctx, cancel := context.WithTimeout(context.Background(), vmtest.Scale(5*time.Minute))
	defer cancel()
	out, err := exec.CommandContext(ctx, vmtest.Dadi(t), args...).CombinedOutput()
	return string(out), err
}

func listJSON(t *testing.T) []deviceRow {
	t.Helper()
	out, err := dadi(t, "list", "--json")
	require.NoError(t, err, out)
	var rows []deviceRow
	require.NoError(t, json.Unmarshal([]byte(out), &rows), out)
	return rows
}

func findRow(rows []deviceRow, id int) (deviceRow, bool) {
	for _, r := range rows {
		if r.ID == id {
			return r, true
		}
	}
	return deviceRow{}, false
}

func requireGone(t *testing.T, id int) {
	t.Helper()
	require.NoError(t, vmtest.WaitGone(fmt.Sprintf("/dev/ublkb%d", id), time.Minute))
	require.NoError(t, vmtest.WaitGone(fmt.Sprintf("/dev/ublkc%d", id), time.Minute))
	_, ok := findRow(listJSON(t), id)
	require.False(t, ok, "device %d still listed", id)
}

// `dadi stop`, SIGTERM and SIGINT each leave nothing behind; list shows a live device with
// its daemon; -v logs the negotiated flags and the queue placement.
func TestVMServeLifecycle(t *testing.T) {
	vmtest.RequireUblk(t)
	d := vmtest.StartDaemon(t, "-v", "--null", "256M", "--queues", "2", "--depth", "64")
	row, ok := findRow(listJSON(t), d.ID)
	require.True(t, ok)
	require.Equal(t, "live", row.State)
	require.Equal(t, d.Cmd.Process.Pid, row.PID)
	require.True(t, row.DaemonAlive)
	require.Equal(t, "null", row.Target)
	require.Equal(t, 2, row.Queues)
	require.Equal(t, 64, row.Depth)
	require.Equal(t, int64(256<<20), row.Size)
	table, err := dadi(t, "list")
	require.NoError(t, err)
	require.Contains(t, table, "256M")
	require.Equal(t, 2, strings.Count(d.Stderr(), "queue placement"), d.Stderr())
	require.Contains(t, d.Stderr(), "cmd_ioctl_encode")

	out, err := dadi(t, "stop", fmt.Sprint(d.ID))
	require.NoError(t, err, out)
	require.NoError(t, d.Wait(time.Minute))
	requireGone(t, d.ID)

	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		d := vmtest.StartDaemon(t, "--null", "64M")
		require.NoError(t, d.Cmd.Process.Signal(sig))
		require.NoError(t, d.Wait(time.Minute), "exit after %v: %s", sig, d.Stderr())
		requireGone(t, d.ID)
	}
}

// Without --recovery a killed daemon's block device goes away; list shows what is left and
// `dadi stop` removes it.
func TestVMSigkillWithoutRecovery(t *testing.T) {
	vmtest.RequireUblk(t)
	d := vmtest.StartDaemon(t, "--null", "64M")
	require.NoError(t, d.Cmd.Process.Kill())
	d.Wait(time.Minute)
	require.NoError(t, vmtest.WaitGone(d.Device, time.Minute))
	row, ok := findRow(listJSON(t), d.ID)
	require.True(t, ok, "the dead device should still be listed")
	require.False(t, row.DaemonAlive)
	require.Equal(t, "dead", row.State)
	out, err := dadi(t, "stop", fmt.Sprint(d.ID))
	require.NoError(t, err, out)
	requireGone(t, d.ID)
}

// With --recovery, SIGKILL under fio load and `serve --recover N` let fio finish cleanly.
func TestVMRecoveryUnderLoad(t *testing.T) {
	vmtest.RequireUblk(t)
	path := filepath.Join(t.TempDir(), "recover.img")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	require.NoError(t, os.Truncate(path, 128<<20))
	d := vmtest.StartDaemon(t, "--file", path, "--recovery", "--queues", "2", "--depth", "32")

	fio := exec.Command("fio", "--name=recover", "--filename="+d.Device, "--rw=randwrite", "--bs=4k",
		"--size=32m", "--ioengine=io_uring", "--direct=1", "--iodepth=16", "--rate_iops=1500",
		"--verify=crc32c", "--verify_fatal=1", "--randrepeat=1")
	var fioOut strings.Builder
	fio.Stdout, fio.Stderr = &fioOut, &fioOut
	fio.Dir = t.TempDir() // fio writes its verify state file into the working directory
	require.NoError(t, fio.Start())
	time.Sleep(2 * time.Second)
	require.NoError(t, d.Cmd.Process.Kill())
	d.Wait(time.Minute)
	time.Sleep(500 * time.Millisecond) // I/O queues up in the kernel meanwhile

	d2 := vmtest.StartDaemon(t, "--recover", fmt.Sprint(d.ID), "--file", path)
	require.Equal(t, d.Device, d2.Device)
	done := make(chan error, 1)
	go func() { done <- fio.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, fioOut.String())
	case <-time.After(vmtest.Scale(5 * time.Minute)):
		fio.Process.Kill()
		t.Fatalf("fio did not finish after recovery:\n%s", fioOut.String())
	}
	errs := regexp.MustCompile(`err=\s*(\d+)`).FindAllStringSubmatch(fioOut.String(), -1)
	require.NotEmpty(t, errs, fioOut.String())
	for _, m := range errs {
		require.Equal(t, "0", m[1], fioOut.String())
	}
	require.NoError(t, d2.Cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, d2.Wait(time.Minute))
	requireGone(t, d.ID)
}

// Bad input: one clear error line, a non-zero exit, no device left behind.
func TestVMBadInput(t *testing.T) {
	vmtest.RequireUblk(t)
	readOnlyFile := filepath.Join(vmtest.RepoRoot(t), "go.mod") // the host root is read-only here
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--null", "0"}, "positive multiple of 512"},
		{[]string{"--null", "1000"}, "multiple of 512"},
		{[]string{"--null", "1G", "--queues", "99"}, "queues 99"},
		{[]string{"--null", "1G", "--depth", "0"}, "depth 0"},
		{[]string{"--null", "1G", "--depth", "5000"}, "depth 5000"},
		{[]string{"--null", "1G", "--max-io", "1000"}, "max I/O"},
		{[]string{"--file", "/nonexistent/disk.img"}, "no such file"},
		{[]string{"--file", readOnlyFile}, "read-only"},
		{[]string{}, "exactly one of"},
		{[]string{"--null", "1G", "--file", "/tmp/x"}, "exactly one of"},
	}
	before := listJSON(t)
	for _, c := range cases {
		out, err := dadi(t, append([]string{"serve"}, c.args...)...)
		require.Error(t, err, "serve %v should fail", c.args)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.Len(t, lines, 1, "serve %v: want one error line, got:\n%s", c.args, out)
		require.Contains(t, strings.ToLower(lines[0]), strings.ToLower(c.want), "serve %v", c.args)
	}
	require.Equal(t, len(before), len(listJSON(t)), "bad input left a device behind")
}

// mkfs.ext4 on a file-backed device, 200 files written, fsck clean, all read back after a remount.
func TestVMExt4Files(t *testing.T) {
	vmtest.RequireUblk(t)
	path := filepath.Join(t.TempDir(), "ext4.img")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	require.NoError(t, os.Truncate(path, 256<<20))
	d := vmtest.StartDaemon(t, "--file", path, "--queues", "2")
	vmtest.Run(t, "mkfs.ext4", "-q", "-F", d.Device)
	mnt := t.TempDir()
	vmtest.Run(t, "mount", d.Device, mnt)
	rng := rand.New(rand.NewSource(1))
	sums := map[string][32]byte{}
	for i := 0; i < 200; i++ {
		b := make([]byte, 1+rng.Intn(300<<10))
		rng.Read(b)
		name := filepath.Join(mnt, fmt.Sprintf("dir%d/file%03d", i%7, i))
		require.NoError(t, os.MkdirAll(filepath.Dir(name), 0o755))
		require.NoError(t, os.WriteFile(name, b, 0o644))
		sums[name] = sha256.Sum256(b)
	}
	vmtest.Run(t, "umount", mnt)
	vmtest.Run(t, "e2fsck", "-fn", d.Device)
	vmtest.Run(t, "mount", d.Device, mnt)
	for name, want := range sums {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		require.Equal(t, want, sha256.Sum256(b), name)
	}
	vmtest.Run(t, "umount", mnt)
	require.NoError(t, d.Cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, d.Wait(time.Minute))
	requireGone(t, d.ID)
}
