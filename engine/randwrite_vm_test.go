//go:build vm

package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/stretchr/testify/require"
)

// TestVMRandWriteSteady: 60 s of fio 4 KiB random writes (iodepth 32) on a writable image
// whose index grows to tens of thousands of segments and more; after a restart, fio's crc32c
// verify pass reads back every block it wrote; then a commit, and the committed layer, served
// read-only, must read back byte for byte what the writable image serves. The first and last
// 10 s IOPS are logged, not asserted: under emulation on a shared host they measure the
// neighbours (the ratio is BenchmarkVMRandWriteSteady's; that inserts do not slow down as the
// index grows is index.TestInsertWorkGrowsWithLogN, counted rather than timed).
func TestVMRandWriteSteady(t *testing.T) {
	vmtest.RequireUblk(t)
	dir := t.TempDir()
	// The VM's /tmp is a tmpfs of half its memory (1 GiB): the data file (up to 0.9 size) and
	// the committed layer beside it must both fit.
	const size = 384 << 20
	// fio's random map (on by default) writes each block once, so the verify pass knows every
	// block's last content; number_ios stops a fast run (KVM) before the map would wrap.
	const ios = size / 4096 * 9 / 10
	verify := []string{"--verify=crc32c", "--verify_fatal=1", fmt.Sprintf("--number_ios=%d", ios)}
	run := randWrite(t, dir, size, verify...)
	w := run.res.Jobs[0].Write
	t.Logf("fio: %.0f IOPS, %d writes; median IOPS first 10 s %.0f, last 10 s %.0f (ratio %.2f, logged only)",
		w.IOPS, w.TotalIOs, run.first, run.last, run.last/run.first)
	t.Logf("write IOPS per logged second: %v", run.samples)
	require.Greater(t, w.TotalIOs, int64(10000), "writes in 60 s")

	// A time-based write job has no room for fio's verify phase; it saves how far it got
	// (verify_state_save, in fio's working directory), and a verify-only run of the same job
	// checks exactly those writes.
	d := vmtest.StartDaemon(t, "--config", randWriteConfig(t, dir, []any{}, run.data, run.index), "--queues", "2")
	t0 := time.Now()
	v := vmtest.Fio(t, append(randWriteJob(d.Device), append(verify, "--verify_only", "--verify_state_load=1")...)...)
	t.Logf("fio verified %d blocks in %v", v.Jobs[0].Read.TotalIOs, time.Since(t0))
	// A time-based job that goes round its random map again keeps the verify state of its
	// last pass, at most number_ios blocks: those are what the verify-only run can check.
	require.GreaterOrEqual(t, v.Jobs[0].Read.TotalIOs, min(w.TotalIOs, int64(ios)), "fio verified fewer blocks than it wrote")
	stopDaemonTB(t, d)

	out := filepath.Join(dir, "rw.lsmt")
	vmtest.Run(t, vmtest.Dadi(t), "commit", run.data, run.index, out)
	t.Logf("dadi info:\n%s", vmtest.Run(t, vmtest.Dadi(t), "info", out))
	rw := vmtest.StartDaemon(t, "--config", randWriteConfig(t, dir, []any{}, run.data, run.index), "--read-only", "--queues", "2")
	ro := vmtest.StartDaemon(t, "--config", randWriteConfig(t, dir, []any{map[string]string{"file": out}}, "", ""), "--read-only", "--queues", "2")
	t0 = time.Now()
	sameDevices(t, rw.Device, ro.Device, size)
	t.Logf("committed layer reads back as the writable image: %d bytes compared in %v", size, time.Since(t0))
	stopDaemonTB(t, ro)
	stopDaemonTB(t, rw)
}

// randWriteJob is fio's 4 KiB random-write job on dev at iodepth 32, fixed seed.
func randWriteJob(dev string) []string {
	return []string{"--name=steady", "--filename=" + dev, "--rw=randwrite", "--bs=4k",
		"--ioengine=io_uring", "--direct=1", "--iodepth=32", "--randrepeat=1", "--randseed=13"}
}

// randWriteRun is one 60 s random-write run on a fresh writable image.
type randWriteRun struct {
	data, index string
	res         vmtest.FioResult
	samples     []float64 // write IOPS per logged second, fio's first 5 s (start-up) left out
	first, last float64   // median IOPS of the first and last 10 s
}

// randWrite creates a writable image of size bytes in dir, serves it, runs 60 s of fio 4 KiB
// random writes at iodepth 32 with extra arguments added, and stops the daemon.
func randWrite(tb testing.TB, dir string, size int64, extra ...string) randWriteRun {
	tb.Helper()
	r := randWriteRun{data: filepath.Join(dir, "rw.data"), index: filepath.Join(dir, "rw.index")}
	vmtest.Run(tb, vmtest.Dadi(tb), "create", r.data, r.index, fmt.Sprintf("%dM", size>>20))
	d := vmtest.StartDaemon(tb, "--config", randWriteConfig(tb, dir, []any{}, r.data, r.index), "--queues", "2")
	logBase := filepath.Join(dir, "rw")
	args := append(randWriteJob(d.Device), "--runtime=60", "--write_iops_log="+logBase, "--log_avg_msec=1000")
	if _, bench := tb.(*testing.B); bench {
		// The benchmark writes for the whole minute; the test stops at its number_ios too, so
		// the append-only data file and the committed layer fit the VM's /tmp.
		args = append(args, "--time_based")
	}
	r.res = vmtest.Fio(tb, append(args, extra...)...)
	stopDaemonTB(tb, d)
	all := readIOPSLog(tb, logBase+"_iops.1.log", 1)
	// fio's first 5 s (start-up, slow under emulation) are in no window. The log has a line
	// per second with completions, so a stalled second leaves a gap: windows go by timestamp.
	var first, last []float64
	end := all[len(all)-1].ms
	for _, x := range all {
		switch {
		case x.ms <= 5000:
			continue
		case x.ms <= 15000:
			first = append(first, x.iops)
		case x.ms > end-10000:
			last = append(last, x.iops)
		}
		r.samples = append(r.samples, x.iops)
	}
	if len(first) < 3 || len(last) < 3 || end < 50000 {
		// The ratio is the benchmark's to measure; the test's run may end early (its
		// number_ios bound), and then it has no ratio to log.
		msg := fmt.Sprintf("per-second write IOPS log too thin for a ratio (%d samples in the first 10 s, %d in the last, %d ms in all)", len(first), len(last), end)
		if _, bench := tb.(*testing.B); bench {
			tb.Fatalf("%s: %v", msg, all)
		}
		tb.Log(msg)
		r.first, r.last = math.NaN(), math.NaN()
		return r
	}
	r.first, r.last = median(first), median(last)
	return r
}

func randWriteConfig(tb testing.TB, dir string, lowers []any, data, index string) string {
	tb.Helper()
	c := map[string]any{"lowers": lowers}
	if data != "" {
		c["upper"] = map[string]string{"data": data, "index": index}
	}
	b, err := json.Marshal(c)
	require.NoError(tb, err)
	p := filepath.Join(dir, fmt.Sprintf("config-%d.json", time.Now().UnixNano()))
	require.NoError(tb, os.WriteFile(p, b, 0o644))
	return p
}

func stopDaemonTB(tb testing.TB, d *vmtest.Daemon) {
	tb.Helper()
	require.NoError(tb, d.Cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(tb, d.Wait(60*time.Second), d.Stderr())
	require.NoError(tb, vmtest.WaitGone(d.Device, 30*time.Second))
}

// sameDevices reads two block devices side by side and fails at the first byte that differs.
// Comparing directly is the same check as equal sha256 sums of both, and it names the offset.
func sameDevices(t *testing.T, a, b string, size int64) {
	t.Helper()
	fa, err := os.Open(a)
	require.NoError(t, err)
	defer fa.Close()
	fb, err := os.Open(b)
	require.NoError(t, err)
	defer fb.Close()
	ba, bb := make([]byte, 4<<20), make([]byte, 4<<20)
	for off := int64(0); off < size; off += int64(len(ba)) {
		n := min(int64(len(ba)), size-off)
		_, err := io.ReadFull(io.NewSectionReader(fa, off, n), ba[:n])
		require.NoError(t, err, "%s at %d", a, off)
		_, err = io.ReadFull(io.NewSectionReader(fb, off, n), bb[:n])
		require.NoError(t, err, "%s at %d", b, off)
		if !bytes.Equal(ba[:n], bb[:n]) {
			i := 0
			for ba[i] == bb[i] {
				i++
			}
			t.Fatalf("byte %d: the writable image (%s) has %#x, the committed layer (%s) %#x", off+int64(i), a, ba[i], b, bb[i])
		}
	}
}

// iopsSample is one line of fio's IOPS log: the interval's end in ms and its IOPS.
type iopsSample struct {
	ms   int64
	iops float64
}

// readIOPSLog reads fio's per-interval IOPS log ("msec, value, direction, bs, ...") and
// returns the intervals of one direction (0 read, 1 write). It fails on an empty log.
func readIOPSLog(tb testing.TB, path string, dir int) []iopsSample {
	tb.Helper()
	f, err := os.Open(path)
	require.NoError(tb, err)
	defer f.Close()
	var v []iopsSample
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) < 3 {
			continue
		}
		ms, err := strconv.ParseInt(strings.TrimSpace(fields[0]), 10, 64)
		require.NoError(tb, err, "%s: %q", path, sc.Text())
		x, err := strconv.ParseFloat(strings.TrimSpace(fields[1]), 64)
		require.NoError(tb, err, "%s: %q", path, sc.Text())
		d, err := strconv.Atoi(strings.TrimSpace(fields[2]))
		require.NoError(tb, err, "%s: %q", path, sc.Text())
		if d == dir {
			v = append(v, iopsSample{ms, x})
		}
	}
	require.NoError(tb, sc.Err())
	require.NotEmpty(tb, v, "%s: no samples", path)
	return v
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
