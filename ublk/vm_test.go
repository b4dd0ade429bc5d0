//go:build vm

package ublk_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/dadi-dev/dadi/targets/null"
	"github.com/dadi-dev/dadi/ublk"
	"github.com/dadi-dev/dadi/ublk/ublktest"
	"github.com/stretchr/testify/require"
)

// Null target, 2 queues of depth 128: fio 4k random reads and writes through io_uring.
func TestVMNullFio(t *testing.T) {
	dev := ublktest.CreateDevice(t, ublk.Config{ID: -1, Queues: 2, Depth: 128, Target: null.New(1 << 30)})
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
	dev := ublktest.CreateDevice(t, ublk.Config{ID: -1, Queues: 2, Depth: 16, Target: null.New(64 << 20)})
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
	dev2 := ublktest.CreateDevice(t, ublk.Config{ID: -1, Queues: 2, Depth: 16, CPUs: []int{1, 0}, Target: null.New(64 << 20)})
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
