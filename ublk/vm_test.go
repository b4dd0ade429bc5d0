//go:build vm

package ublk

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/stretchr/testify/require"
)

func createDevice(t *testing.T, cfg Config) *Device {
	t.Helper()
	vmtest.RequireUblk(t)
	ctrl, err := OpenControl()
	require.NoError(t, err)
	t.Cleanup(func() { ctrl.Close() })
	dev, err := Create(ctrl, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, dev.Stop())
		require.NoError(t, vmtest.WaitGone(dev.BlockPath(), time.Minute))
		require.NoError(t, vmtest.WaitGone(CharPath(dev.ID()), time.Minute))
	})
	return dev
}

// Null target, 2 queues of depth 128: fio 4k random reads and writes through io_uring.
func TestVMNullFio(t *testing.T) {
	dev := createDevice(t, Config{ID: -1, Queues: 2, Depth: 128, Target: NewNullTarget(1 << 30)})
	for _, rw := range []string{"randread", "randwrite"} {
		res := vmtest.Fio(t, "--name="+rw, "--filename="+dev.BlockPath(), "--rw="+rw, "--bs=4k",
			"--ioengine=io_uring", "--direct=1", "--iodepth=32", "--numjobs=2", "--group_reporting",
			"--time_based", "--runtime=10s")
		var ios int64
		for _, j := range res.Jobs {
			ios += j.Read.TotalIOs + j.Write.TotalIOs
		}
		require.Positive(t, ios, rw)
		t.Logf("null %s: %d I/Os in 10s", rw, ios)
	}
}

// Each queue thread is pinned to the CPUs the plan gives it, and is named after its queue.
func TestVMQueuesPinned(t *testing.T) {
	dev := createDevice(t, Config{ID: -1, Queues: 2, Depth: 16, Target: NewNullTarget(64 << 20)})
	plan := dev.QueueThreads()
	require.Len(t, plan, 2)
	for _, q := range plan {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/comm", q.TID))
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("dadi-q%d", q.Queue), strings.TrimSpace(string(comm)))
		require.NotEmpty(t, q.CPUs, "queue %d has no CPU plan", q.Queue)
		require.Equal(t, q.CPUs, cpusAllowed(t, q.TID), "queue %d", q.Queue)
	}

	// A user-given list wins over the kernel's affinity.
	dev2 := createDevice(t, Config{ID: -1, Queues: 2, Depth: 16, CPUs: []int{1, 0}, Target: NewNullTarget(64 << 20)})
	for _, q := range dev2.QueueThreads() {
		want := fmt.Sprint(1 - q.Queue)
		require.Equal(t, want, q.CPUs)
		require.Equal(t, want, cpusAllowed(t, q.TID))
	}
}

func cpusAllowed(t *testing.T, tid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/status", tid))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no Cpus_allowed_list for thread %d", tid)
	return ""
}

// File target: fio writes 128 MiB with crc32c verification; after the device is gone the
// backing file alone passes the same verification.
func TestVMFileVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "backing.img")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	require.NoError(t, os.Truncate(path, 256<<20))
	ft, err := OpenFileTarget(path, false)
	require.NoError(t, err)
	dev := createDevice(t, Config{ID: -1, Queues: 2, Depth: 64, Target: ft})
	job := []string{"--name=verify", "--rw=randwrite", "--bs=4k", "--size=128m", "--ioengine=io_uring",
		"--direct=1", "--iodepth=16", "--verify=crc32c", "--verify_fatal=1", "--randrepeat=1", "--randseed=42"}
	vmtest.Fio(t, append(job, "--filename="+dev.BlockPath())...)
	require.NoError(t, dev.Stop())
	require.NoError(t, vmtest.WaitGone(dev.BlockPath(), time.Minute))
	// The same job in verify-only mode reads the file directly.
	vmtest.Fio(t, append(job, "--filename="+path, "--verify_only=1", "--direct=0")...)
}

// Requests up to the max I/O size reach the target whole; larger ones are split by the kernel.
func TestVMMaxIOSizes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "maxio.img")
	data := make([]byte, 8<<20)
	rand.Read(data)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	ft, err := OpenFileTarget(path, false)
	require.NoError(t, err)
	dev := createDevice(t, Config{ID: -1, Queues: 1, Depth: 8, MaxIO: 512 << 10, Target: ft})
	maxSectors, err := os.ReadFile(fmt.Sprintf("/sys/block/ublkb%d/queue/max_sectors_kb", dev.ID()))
	require.NoError(t, err)
	require.Equal(t, "512", strings.TrimSpace(string(maxSectors)))
	for _, bs := range []string{"4k", "64k", "512k", "1m"} {
		vmtest.Fio(t, "--name=bs"+bs, "--filename="+dev.BlockPath(), "--rw=randrw", "--bs="+bs,
			"--ioengine=io_uring", "--direct=1", "--iodepth=4", "--size=8m", "--verify=crc32c",
			"--verify_fatal=1", "--io_size=16m")
	}
}
