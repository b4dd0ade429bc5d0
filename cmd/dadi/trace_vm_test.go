//go:build vm

package main

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/ebpf"
	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/prefetch"
	"github.com/stretchr/testify/require"
)

// ext4Layer makes a ZFile-compressed read-only layer holding an ext4 file system with files
// files of assorted sizes, built by mkfs.ext4 -d without mounting anything.
func ext4Layer(t *testing.T, dir string, files int) (layer string, names []string) {
	t.Helper()
	root := filepath.Join(dir, "root")
	rng := rand.New(rand.NewSource(6))
	for i := 0; i < files; i++ {
		name := fmt.Sprintf("app/lib%d/file%03d.so", i%5, i)
		b := make([]byte, 4096+rng.Intn(200<<10))
		rng.Read(b)
		require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, name), b, 0o644))
		names = append(names, name)
	}
	raw := filepath.Join(dir, "fs.img")
	require.NoError(t, os.WriteFile(raw, nil, 0o644))
	require.NoError(t, os.Truncate(raw, 128<<20))
	vmtest.Run(t, "mkfs.ext4", "-q", "-F", "-d", root, raw)

	data, idx := filepath.Join(dir, "l.data"), filepath.Join(dir, "l.index")
	require.NoError(t, lsmt.CreateRW(data, idx, lsmt.CreateOptions{VirtualSize: 128 << 20}))
	rw, err := lsmt.OpenRW(data, idx, true)
	require.NoError(t, err)
	f, err := os.Open(raw)
	require.NoError(t, err)
	buf := make([]byte, 1<<20)
	for off := int64(0); off < 128<<20; off += int64(len(buf)) {
		_, err := f.ReadAt(buf, off)
		require.NoError(t, err)
		if !bytes.Equal(buf, make([]byte, len(buf))) {
			require.NoError(t, rw.WriteAt(buf, off))
		}
	}
	f.Close()
	layer = filepath.Join(dir, "layer.zfile")
	_, err = lsmt.Commit(rw, layer, lsmt.CommitOptions{Compress: true})
	require.NoError(t, err)
	rw.Close()
	return layer, names
}

// TestVMTraceUblkImage: on a ublk device serving an image, `dadi trace record` captures the
// reads of a script reading files, `show` summarises it, `convert` maps it to overlaybd's
// format, which parses back (magic, checksum) and names only blobs of the stack. Then the same
// image served with recordTracePath records a trace through the .lock/.ok handshake, and a
// second serve replays it.
func TestVMTraceUblkImage(t *testing.T) {
	vmtest.RequireUblk(t)
	require.NoError(t, ebpf.Check())
	dir := t.TempDir()
	layer, names := ext4Layer(t, dir, 40)
	cfg := filepath.Join(dir, "config.json")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`{"lowers":[{"file":%q}]}`, layer)), 0o644))
	d := vmtest.StartDaemon(t, "--config", cfg)
	mnt := filepath.Join(dir, "mnt")
	require.NoError(t, os.Mkdir(mnt, 0o755))
	vmtest.Run(t, "mount", "-o", "ro,noload", d.Device, mnt)

	devTrace := filepath.Join(dir, "dev.trace")
	rec := exec.Command(vmtest.Dadi(t), "trace", "record", "--dev", d.Device, "-o", devTrace)
	recErr := &vmtest.LockedBuffer{}
	rec.Stderr = recErr
	require.NoError(t, rec.Start())
	tracing := func() bool { return strings.Contains(recErr.String(), "tracing") }
	require.True(t, vmtest.Poll(2*time.Minute, 20*time.Millisecond, tracing), "no tracing line: %s", recErr.String())
	var script strings.Builder
	script.WriteString("cat")
	for _, n := range names[:20] {
		script.WriteString(" " + filepath.Join(mnt, n))
	}
	script.WriteString(" > /dev/null")
	vmtest.Run(t, "sh", "-c", script.String())
	require.NoError(t, rec.Process.Signal(syscall.SIGINT))
	require.NoError(t, rec.Wait(), recErr.String())
	t.Logf("record: %s", strings.TrimSpace(recErr.String()))

	f, err := ebpf.ReadFile(devTrace)
	require.NoError(t, err)
	require.Zero(t, f.Lost)
	var catReads int
	for _, e := range f.Events {
		require.Equal(t, f.Dev, e.Dev)
		if e.Op == ebpf.OpRead && e.Comm == "cat" {
			catReads++
		}
	}
	require.NotZero(t, catReads, "no reads by cat in %d events", len(f.Events))

	show, err := dadi(t, "trace", "show", devTrace)
	require.NoError(t, err, show)
	require.Contains(t, show, "lost 0")
	require.Contains(t, show, "latency p50")
	t.Logf("dadi trace show:\n%s", show)
	csv, err := dadi(t, "trace", "show", "--format", "csv", devTrace)
	require.NoError(t, err, csv)
	require.True(t, strings.HasPrefix(csv, "time_ns,dev,op,sector,bytes,latency_ns,pid,comm\n"))

	out := filepath.Join(dir, "prefetch.trace")
	conv, err := dadi(t, "trace", "convert", "--config", cfg, devTrace, out)
	require.NoError(t, err, conv)
	t.Logf("convert: %s", strings.TrimSpace(conv))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	recs, err := prefetch.ParseTrace(b, out)
	require.NoError(t, err)
	require.NotEmpty(t, recs)
	st, err := os.Stat(layer)
	require.NoError(t, err)
	require.NoError(t, prefetch.CheckTrace(recs, []int64{st.Size()}, out))
	show, err = dadi(t, "trace", "show", out)
	require.NoError(t, err, show)
	require.Contains(t, show, "overlaybd prefetch trace")

	vmtest.Run(t, "umount", mnt)
	require.NoError(t, d.Cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, d.Wait(time.Minute))

	// recordTracePath: an empty file records until the lock file goes, then the next serve
	// replays what was recorded.
	tracePath := filepath.Join(dir, "serve.trace")
	require.NoError(t, os.WriteFile(tracePath, nil, 0o644))
	rcfg := filepath.Join(dir, "config-record.json")
	require.NoError(t, os.WriteFile(rcfg, []byte(fmt.Sprintf(`{"lowers":[{"file":%q}],"recordTracePath":%q}`, layer, tracePath)), 0o644))
	d = vmtest.StartDaemon(t, "--config", rcfg)
	require.FileExists(t, tracePath+".lock")
	vmtest.Run(t, "mount", "-o", "ro,noload", d.Device, mnt)
	vmtest.Run(t, "sh", "-c", script.String())
	require.NoError(t, os.Remove(tracePath+".lock"))
	okFile := func() bool { _, err := os.Stat(tracePath + ".ok"); return err == nil }
	require.True(t, vmtest.Poll(2*time.Minute, 50*time.Millisecond, okFile), "no .ok file: %s", d.Stderr())
	b, err = os.ReadFile(tracePath)
	require.NoError(t, err)
	served, err := prefetch.ParseTrace(b, tracePath)
	require.NoError(t, err)
	require.NotEmpty(t, served)
	vmtest.Run(t, "umount", mnt)
	require.NoError(t, d.Cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, d.Wait(time.Minute))

	d = vmtest.StartDaemon(t, "--config", rcfg)
	replayed := func() bool { return strings.Contains(d.Stderr(), "prefetch: replay done") }
	require.True(t, vmtest.Poll(2*time.Minute, 50*time.Millisecond, replayed), "no replay: %s", d.Stderr())
	require.Contains(t, d.Stderr(), fmt.Sprintf("records=%d failed=0", len(served)))
	require.NoError(t, d.Cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, d.Wait(time.Minute))
	t.Logf("serve recorded %d records and replayed them", len(served))
}
