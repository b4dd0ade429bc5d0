//go:build vm

package ublk_test

import (
	"os"
	"testing"

	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/dadi-dev/dadi/ublk"
	"github.com/dadi-dev/dadi/ublk/ublktest"
	"github.com/stretchr/testify/require"
)

// A target that hands every read to worker goroutines, which wake the queue through its
// eventfd: on the real kernel, fio keeps 32 reads in flight on each of two queues with zero
// errors, and reads return the bytes the workers wrote.
func TestVMWakeFio(t *testing.T) {
	dev := ublktest.CreateDevice(t, ublk.Config{ID: -1, Queues: 2, Depth: 64, Target: ublk.NewHandoffTarget(2, 4)})
	res := vmtest.Fio(t, "--name=handoff", "--filename="+dev.BlockPath(), "--rw=randread", "--bs=4k",
		"--ioengine=io_uring", "--direct=1", "--iodepth=32", "--numjobs=2", "--group_reporting",
		"--time_based", "--runtime=5s")
	var ios int64
	for _, j := range res.Jobs {
		require.Zero(t, j.Error, j.Name)
		ios += j.Read.TotalIOs
	}
	require.Positive(t, ios)
	t.Logf("handoff randread: %d I/Os in 5s, each finished by a wake", ios)

	// Buffered reads, so the kernel picks the requests (readahead): the pattern is per sector.
	f, err := os.Open(dev.BlockPath())
	require.NoError(t, err)
	defer f.Close()
	buf := make([]byte, 256<<10)
	for _, off := range []int64{0, 1 << 20, 7 << 20} {
		_, err := f.ReadAt(buf, off)
		require.NoError(t, err)
		require.NoError(t, ublk.CheckPattern(buf, off))
	}
	require.NoError(t, dev.Err())
	require.Zero(t, dev.TargetPanics())
}
