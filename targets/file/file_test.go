package file

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/dadi-dev/dadi/ublk"
	"github.com/dadi-dev/dadi/ublk/ublktest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// hostQueue serves t on a queue without a ublk device (ublk.HostQueue).
func hostQueue(t *testing.T, target ublk.Target, depth, maxIO int) (*ublk.HostQueue, func(tag uint16, op ublk.Op, off int64, n uint32) int32) {
	h := ublktest.HostQueue(t, target, depth, maxIO)
	return h, func(tag uint16, op ublk.Op, off int64, n uint32) int32 { return ublktest.Serve(t, h, tag, op, off, n) }
}

func TestFileTargetThroughQueueRing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "disk")
	require.NoError(t, os.WriteFile(path, make([]byte, 1<<20), 0o600))
	ft, err := Open(path, false)
	require.NoError(t, err)
	defer ft.Close()
	h, serve := hostQueue(t, ft, 4, 64<<10)

	pattern := bytes.Repeat([]byte("0123456789abcdef"), 4096/16)
	copy(h.Buf(0), pattern)
	require.Equal(t, int32(4096), serve(0, ublk.OpWrite, 12288, 4096))
	require.Equal(t, int32(0), serve(0, ublk.OpFlush, 0, 0))
	onDisk, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, pattern, onDisk[12288:16384])

	clear(h.Buf(1)[:4096])
	require.Equal(t, int32(4096), serve(1, ublk.OpRead, 12288, 4096))
	require.Equal(t, pattern, h.Buf(1)[:4096])

	require.Equal(t, int32(0), serve(2, ublk.OpWriteZeroes, 12288, 4096))
	require.Equal(t, int32(4096), serve(1, ublk.OpRead, 12288, 4096))
	require.Equal(t, make([]byte, 4096), h.Buf(1)[:4096])

	allocs := testing.AllocsPerRun(200, func() {
		serve(3, ublk.OpRead, 4096, 4096)
	})
	require.Zero(t, allocs, "file target read path must not allocate")
}

func TestReadOnlyFileTargetRefusesWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro")
	require.NoError(t, os.WriteFile(path, make([]byte, 8192), 0o400))
	ft, err := Open(path, true)
	require.NoError(t, err)
	defer ft.Close()
	_, serve := hostQueue(t, ft, 2, 4096)
	require.Equal(t, -int32(unix.EROFS), serve(0, ublk.OpWrite, 0, 4096))
}
