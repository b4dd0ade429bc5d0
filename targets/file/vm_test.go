//go:build vm

package file

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/dadi-dev/dadi/ublk"
	"github.com/dadi-dev/dadi/ublk/ublktest"
	"github.com/stretchr/testify/require"
)

// File target: fio writes 128 MiB with crc32c verification; after the device is gone the
// backing file alone passes the same verification.
func TestVMFileVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "backing.img")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	require.NoError(t, os.Truncate(path, 256<<20))
	ft, err := Open(path, false)
	require.NoError(t, err)
	dev := ublktest.CreateDevice(t, ublk.Config{ID: -1, Queues: 2, Depth: 64, Target: ft})
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
	ft, err := Open(path, false)
	require.NoError(t, err)
	dev := ublktest.CreateDevice(t, ublk.Config{ID: -1, Queues: 1, Depth: 8, MaxIO: 512 << 10, Target: ft})
	maxSectors, err := os.ReadFile(fmt.Sprintf("/sys/block/ublkb%d/queue/max_sectors_kb", dev.ID()))
	require.NoError(t, err)
	require.Equal(t, "512", strings.TrimSpace(string(maxSectors)))
	for _, bs := range []string{"4k", "64k", "512k", "1m"} {
		vmtest.Fio(t, "--name=bs"+bs, "--filename="+dev.BlockPath(), "--rw=randrw", "--bs="+bs,
			"--ioengine=io_uring", "--direct=1", "--iodepth=4", "--size=8m", "--verify=crc32c",
			"--verify_fatal=1", "--io_size=16m")
	}
}
