//go:build vm

package engine

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/stretchr/testify/require"
)

// TestVMRandWriteSteady: 60 s of 4 KiB random writes (iodepth 32) on a writable image, then a
// commit. Every write adds to the writable index, which reaches a hundred thousand segments
// and more; the write rate must not fall as it grows: the median IOPS of the last 10 s is at
// least 80% of the median of the first 10 s (per-second samples, one run, one device, so
// the ratio holds under emulation even though absolute figures are low). fio's first 5 s
// (start-up, which under emulation is slow) are left out of both the log and the windows.
func TestVMRandWriteSteady(t *testing.T) {
	vmtest.RequireUblk(t)
	dir := t.TempDir()
	data, idx := filepath.Join(dir, "rw.data"), filepath.Join(dir, "rw.index")
	// The disk is far larger than 60 s of writes cover, so nearly every write is a new segment.
	dadiCmd(t, "create", data, idx, "64G")
	cfg := writeConfig(t, dir, map[string]any{"lowers": []any{}, "upper": map[string]string{"data": data, "index": idx}})
	d := vmtest.StartDaemon(t, "--config", cfg, "--queues", "2")
	logBase := filepath.Join(dir, "rw")
	res := vmtest.Fio(t, "--name=steady", "--filename="+d.Device, "--rw=randwrite", "--bs=4k",
		"--ioengine=io_uring", "--direct=1", "--iodepth=32", "--time_based", "--ramp_time=5", "--runtime=60",
		"--randrepeat=1", "--randseed=13", "--norandommap",
		"--write_iops_log="+logBase, "--log_avg_msec=1000")
	stopDaemon(t, d)

	samples := readIOPSLog(t, logBase+"_iops.1.log")
	require.GreaterOrEqual(t, len(samples), 50, "per-second IOPS samples")
	first, last := median(samples[:10]), median(samples[len(samples)-10:])
	var st syscall.Stat_t
	require.NoError(t, syscall.Stat(idx, &st))
	t.Logf("fio: %.0f IOPS over 60 s, %d writes; median IOPS first 10 s %.0f, last 10 s %.0f (ratio %.2f); index file %d bytes",
		res.Jobs[0].Write.IOPS, res.Jobs[0].Write.TotalIOs, first, last, last/first, st.Size)
	t.Logf("per-second IOPS: %v", samples)
	require.GreaterOrEqual(t, last, 0.8*first, "random writes slowed down as the index grew")

	out := filepath.Join(dir, "rw.lsmt")
	dadiCmd(t, "commit", data, idx, out)
	t.Logf("dadi info:\n%s", dadiCmd(t, "info", out))
}

// readIOPSLog reads fio's per-interval IOPS log: "msec, value, direction, bs, ...".
func readIOPSLog(t *testing.T, path string) []float64 {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var v []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) < 2 {
			continue
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(fields[1]), 64)
		require.NoError(t, err, "%s: %q", path, sc.Text())
		v = append(v, x)
	}
	require.NoError(t, sc.Err())
	return v
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
