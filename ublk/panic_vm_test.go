//go:build vm

package ublk_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/dadi-dev/dadi/targets/file"
	"github.com/dadi-dev/dadi/ublk"
	"github.com/dadi-dev/dadi/ublk/ublktest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A file target with bugs planted at three offsets (a panic in Handle, one in Handle with an
// SQE of the tag on the ring, one in Complete): in the real kernel, a direct read of each
// fails with EIO, again and again, while fio reads and writes (with verification) the rest of
// the device with zero errors; afterwards the device is still there and reads back the file's
// bytes. Every panic is counted and each site is logged once.
func TestVMPanicTargetKeepsServing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "panic.img")
	data := make([]byte, 64<<20)
	rand.Read(data)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	ft, err := file.Open(path, false)
	require.NoError(t, err)
	pt := ublk.NewPanicTarget(ft)
	pt.HandleAt, pt.SQEThenPanicAt, pt.CompleteAt = 40<<20, 44<<20, 52<<20
	var logs ublk.SyncBuffer
	dev := ublktest.CreateDevice(t, ublk.Config{ID: -1, Queues: 2, Depth: 64, Target: pt,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	fd, err := unix.Open(dev.BlockPath(), unix.O_RDONLY|unix.O_DIRECT|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	buf, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer unix.Munmap(buf)

	// probe reads each planted offset once and reports any that did not fail with EIO.
	var probes int64
	probe := func() error {
		for _, off := range []int64{pt.HandleAt, pt.SQEThenPanicAt, pt.CompleteAt} {
			probes++
			if _, err := unix.Pread(fd, buf, off); !errors.Is(err, syscall.EIO) {
				return fmt.Errorf("pread %s at %d: got %v, want EIO", dev.BlockPath(), off, err)
			}
		}
		return nil
	}
	require.NoError(t, probe())

	// fio on the other offsets, with planted bugs hit every 50 ms beside it.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var probeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if probeErr = probe(); probeErr != nil {
				return
			}
		}
	}()
	res := vmtest.Fio(t, "--filename="+dev.BlockPath(), "--ioengine=io_uring", "--direct=1", "--bs=4k",
		"--iodepth=32",
		"--name=read", "--rw=randread", "--offset=16m", "--size=16m", "--time_based", "--runtime=10s",
		"--name=write", "--rw=randwrite", "--offset=0", "--size=8m", "--verify=crc32c", "--verify_fatal=1",
		"--randrepeat=1")
	close(stop)
	wg.Wait()
	require.NoError(t, probeErr)
	require.Len(t, res.Jobs, 2)
	for _, j := range res.Jobs {
		require.Zero(t, j.Error, j.Name)
		require.Positive(t, j.Read.TotalIOs+j.Write.TotalIOs, j.Name)
		t.Logf("fio %s: %d reads, %d writes", j.Name, j.Read.TotalIOs, j.Write.TotalIOs)
	}

	// Still there, still serving: a read outside fio's writes returns the file's bytes.
	require.NoError(t, probe())
	_, err = os.Stat(dev.BlockPath())
	require.NoError(t, err)
	n, err := unix.Pread(fd, buf, 20<<20)
	require.NoError(t, err)
	require.Equal(t, 4096, n)
	require.True(t, bytes.Equal(data[20<<20:20<<20+4096], buf), "read after the panics returned wrong bytes")
	require.NoError(t, dev.Err())

	require.Equal(t, probes, dev.TargetPanics(), "every panic counted, no other request failed")
	out := logs.String()
	require.Equal(t, 3, strings.Count(out, "target panicked"), "one record per site:\n%s", out)
	t.Logf("%d planted panics answered with EIO; log records: 3", probes)
}
