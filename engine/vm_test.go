//go:build vm

package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/internal/fixtures"
	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func writeConfig(t *testing.T, dir string, c map[string]any) string {
	t.Helper()
	b, err := json.Marshal(c)
	require.NoError(t, err)
	p := filepath.Join(dir, fmt.Sprintf("config-%d.json", time.Now().UnixNano()))
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

func lowers(files ...string) []map[string]string {
	var ls []map[string]string
	for _, f := range files {
		ls = append(ls, map[string]string{"file": f})
	}
	return ls
}

// Every fixture stack, served over ublk, reads back as the manifest says.
func TestVMFixtureStacksOverUblk(t *testing.T) {
	vmtest.RequireUblk(t)
	m := fixtures.Load(t)
	dir := t.TempDir()
	for _, f := range m.Fixtures {
		if f.Kind != "lsmt_stack" {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			c := map[string]any{}
			var files []string
			for _, l := range f.Layers {
				files = append(files, m.Path(l.File))
			}
			c["lowers"] = lowers(files...)
			if f.Upper != nil {
				c["upper"] = map[string]string{"data": m.Path(f.Upper.Data.File), "index": m.Path(f.Upper.Index.File)}
			}
			// The fixtures are read-only: serve them read-only, uppers included.
			d := vmtest.StartDaemon(t, "--config", writeConfig(t, dir, c), "--read-only", "--queues", "2")
			dev, err := os.Open(d.Device)
			require.NoError(t, err)
			size, err := unix.IoctlGetUint64(int(dev.Fd()), unix.BLKGETSIZE64)
			require.NoError(t, err)
			require.Equal(t, uint64(f.VirtualSize), size)
			h := sha256.New()
			// Large reads: the 1 GiB fixtures are slow under emulation in io.Copy's 32 KiB steps.
			n, err := io.CopyBuffer(h, io.NewSectionReader(dev, 0, f.VirtualSize), make([]byte, 4<<20))
			require.NoError(t, err)
			require.Equal(t, f.VirtualSize, n)
			require.Equal(t, f.ExpectedSHA256, hex.EncodeToString(h.Sum(nil)))
			for _, s := range f.Samples {
				b := make([]byte, s.Length)
				_, err := dev.ReadAt(b, s.Offset)
				require.NoError(t, err)
				sum := sha256.Sum256(b)
				require.Equal(t, s.SHA256, hex.EncodeToString(sum[:]), "sample at %d", s.Offset)
			}
			// The kernel deletes a device only once nobody holds it open.
			require.NoError(t, dev.Close())
			stopDaemon(t, d)
		})
	}
}

func dadiCmd(t *testing.T, args ...string) string {
	t.Helper()
	return vmtest.Run(t, vmtest.Dadi(t), args...)
}

func stopDaemon(t *testing.T, d *vmtest.Daemon) {
	t.Helper()
	require.NoError(t, d.Cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, d.Wait(time.Minute), d.Stderr())
	require.NoError(t, vmtest.WaitGone(d.Device, time.Minute))
}

// A writable layer holds an ext4 file system through serve, commit -z and re-stacking.
func TestVMWritableCommitRestack(t *testing.T) {
	vmtest.RequireUblk(t)
	dir := t.TempDir()
	data0, index0 := filepath.Join(dir, "u0.data"), filepath.Join(dir, "u0.index")
	dadiCmd(t, "create", "--uuid", "0bd0f100-0000-4000-8000-00000000000a", data0, index0, "256M")
	cfg0 := writeConfig(t, dir, map[string]any{"lowers": []any{}, "upper": map[string]string{"data": data0, "index": index0}})
	d := vmtest.StartDaemon(t, "--config", cfg0, "--queues", "2")
	vmtest.Run(t, "mkfs.ext4", "-q", "-F", d.Device)
	mnt := t.TempDir()
	vmtest.Run(t, "mount", d.Device, mnt)
	rng := rand.New(rand.NewSource(4))
	sums := map[string][32]byte{}
	for i := 0; i < 60; i++ {
		b := make([]byte, 1+rng.Intn(200<<10))
		rng.Read(b)
		name := fmt.Sprintf("f%02d", i)
		require.NoError(t, os.WriteFile(filepath.Join(mnt, name), b, 0o644))
		sums[name] = sha256.Sum256(b)
	}
	for i := 0; i < 60; i += 3 { // deleted files must stay deleted after the commit
		require.NoError(t, os.Remove(filepath.Join(mnt, fmt.Sprintf("f%02d", i))))
		delete(sums, fmt.Sprintf("f%02d", i))
	}
	vmtest.Run(t, "umount", mnt)
	stopDaemon(t, d)

	layer1 := filepath.Join(dir, "layer1.zfile")
	dadiCmd(t, "commit", "-z", "--uuid", "0bd0f100-0000-4000-8000-00000000000a", data0, index0, layer1)
	data1, index1 := filepath.Join(dir, "u1.data"), filepath.Join(dir, "u1.index")
	dadiCmd(t, "create", "-u", "0bd0f100-0000-4000-8000-00000000000a", data1, index1, "256M")
	cfg1 := writeConfig(t, dir, map[string]any{"lowers": lowers(layer1), "upper": map[string]string{"data": data1, "index": index1}})
	d = vmtest.StartDaemon(t, "--config", cfg1, "--queues", "2")
	vmtest.Run(t, "e2fsck", "-fn", d.Device)
	vmtest.Run(t, "mount", d.Device, mnt)
	entries, err := os.ReadDir(mnt)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if e.Name() != "lost+found" {
			names = append(names, e.Name())
		}
	}
	require.Len(t, names, len(sums))
	for name, want := range sums {
		b, err := os.ReadFile(filepath.Join(mnt, name))
		require.NoError(t, err)
		require.Equal(t, want, sha256.Sum256(b), name)
	}
	require.NoError(t, os.WriteFile(filepath.Join(mnt, "new"), []byte("on the new upper"), 0o644))
	vmtest.Run(t, "umount", mnt)
	vmtest.Run(t, "e2fsck", "-fn", d.Device)
	stopDaemon(t, d)
}

// fio verified random writes on a writable image over fixture lowers, also after a restart.
func TestVMFioVerifyWritableImage(t *testing.T) {
	vmtest.RequireUblk(t)
	m := fixtures.Load(t)
	dir := t.TempDir()
	data, idx := filepath.Join(dir, "up.data"), filepath.Join(dir, "up.index")
	dadiCmd(t, "create", data, idx, "32M")
	cfg := writeConfig(t, dir, map[string]any{
		"lowers": lowers(m.Path("A/L0.lz4-4k.zfile"), m.Path("A/L1.lsmt")),
		"upper":  map[string]string{"data": data, "index": idx},
	})
	job := []string{"--name=verify", "--rw=randwrite", "--bs=4k", "--size=24m", "--ioengine=io_uring",
		"--direct=1", "--iodepth=16", "--verify=crc32c", "--verify_fatal=1", "--randrepeat=1", "--randseed=7"}
	d := vmtest.StartDaemon(t, "--config", cfg, "--queues", "2")
	vmtest.Fio(t, append(job, "--filename="+d.Device)...)
	stopDaemon(t, d)
	d = vmtest.StartDaemon(t, "--config", cfg)
	vmtest.Fio(t, append(job, "--filename="+d.Device, "--verify_only=1")...)
	stopDaemon(t, d)
}

// SIGKILL while writing with periodic fdatasync: after a restart every block written before the
// last completed sync reads back exactly.
func TestVMCrashKeepsSyncedWrites(t *testing.T) {
	vmtest.RequireUblk(t)
	dir := t.TempDir()
	data, idx := filepath.Join(dir, "c.data"), filepath.Join(dir, "c.index")
	dadiCmd(t, "create", data, idx, "64M")
	cfg := writeConfig(t, dir, map[string]any{"lowers": []any{}, "upper": map[string]string{"data": data, "index": idx}})
	d := vmtest.StartDaemon(t, "--config", cfg, "--queues", "2")

	const block = 4096
	nblocks := int64(64 << 20 / block)
	order := rand.New(rand.NewSource(9)).Perm(int(nblocks)) // each block written once
	var synced atomic.Int64                                 // blocks of order[:synced] are durable
	done := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(d.Device, os.O_WRONLY|syscall.O_DIRECT, 0)
		if err != nil {
			done <- err
			return
		}
		defer f.Close()
		buf := alignedBlock()
		for i, b := range order {
			fillBlock(buf, int64(b))
			if _, err := f.WriteAt(buf, int64(b)*block); err != nil {
				done <- err
				return
			}
			if (i+1)%64 == 0 {
				if err := unix.Fdatasync(int(f.Fd())); err != nil {
					done <- err
					return
				}
				synced.Store(int64(i + 1))
			}
		}
		done <- nil
	}()
	// Kill once a few hundred syncs are done, while writes are in full flow.
	flowing := func() bool { return synced.Load() >= 64*40 }
	require.True(t, vmtest.Poll(5*time.Minute, 20*time.Millisecond, flowing), "the writer synced only %d blocks", synced.Load())
	require.NoError(t, d.Cmd.Process.Kill())
	d.Wait(time.Minute)
	select {
	case err := <-done:
		require.Error(t, err, "the writer should see the device go away")
	case <-time.After(vmtest.Scale(2 * time.Minute)):
		t.Fatal("writer did not notice the dead device")
	}
	n := synced.Load()
	t.Logf("killed after %d synced blocks", n)
	out, _ := exec.Command(vmtest.Dadi(t), "list", "--json").CombinedOutput()
	var rows []struct{ ID int }
	json.Unmarshal(out, &rows)
	for _, r := range rows {
		exec.Command(vmtest.Dadi(t), "stop", fmt.Sprint(r.ID)).Run()
	}

	d = vmtest.StartDaemon(t, "--config", cfg)
	f, err := os.OpenFile(d.Device, os.O_RDONLY|syscall.O_DIRECT, 0)
	require.NoError(t, err)
	defer stopDaemon(t, d)
	got, want := alignedBlock(), make([]byte, block)
	for _, b := range order[:n] {
		_, err := f.ReadAt(got, int64(b)*block)
		require.NoError(t, err)
		fillBlock(want, int64(b))
		require.Equal(t, want, got, "block %d was synced but reads back wrong", b)
	}
	require.NoError(t, f.Close())
}

func alignedBlock() []byte {
	b, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		panic(err)
	}
	return b
}

// fillBlock makes the content of block b: its number repeated, so a block in the wrong place
// or a torn block shows.
func fillBlock(buf []byte, b int64) {
	for i := 0; i < len(buf); i += 8 {
		binary.LittleEndian.PutUint64(buf[i:], uint64(b)*0x9E3779B97F4A7C15^uint64(i))
	}
}
