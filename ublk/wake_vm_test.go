//go:build vm

package ublk_test

import (
	"bytes"
	"testing"

	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/dadi-dev/dadi/ublk"
	"github.com/dadi-dev/dadi/ublk/ublktest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A target that hands every read to worker goroutines, which wake the queue through its
// eventfd: on the real kernel, fio keeps 32 reads in flight on each of two queues with zero
// errors, and a direct read returns the bytes the worker wrote.
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

	fd, err := unix.Open(dev.BlockPath(), unix.O_RDONLY|unix.O_DIRECT|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	buf, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer unix.Munmap(buf)
	const off = 1 << 20
	n, err := unix.Pread(fd, buf, off)
	require.NoError(t, err)
	require.Equal(t, 4096, n)
	for i, p := range []int64{off, off + 2048} { // one request, two pieces
		require.True(t, bytes.Equal(buf[i*2048:(i+1)*2048], bytes.Repeat([]byte{ublk.Pattern(p)}, 2048)), "piece %d", i)
	}
	require.NoError(t, dev.Err())
	require.Zero(t, dev.TargetPanics())
}
