package image

import (
	"bytes"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/ublk"
	"github.com/dadi-dev/dadi/ublk/ublktest"
	"github.com/stretchr/testify/require"
)

// testImage is a committed lower holding lowerBytes at lowerAt, under a fresh writable upper
// unless readOnly.
func testImage(t *testing.T, readOnly bool) *engine.Image {
	dir := t.TempDir()
	d, i := filepath.Join(dir, "l.data"), filepath.Join(dir, "l.index")
	require.NoError(t, lsmt.CreateRW(d, i, lsmt.CreateOptions{VirtualSize: 1 << 20}))
	up, err := lsmt.OpenUpper(d, i, true)
	require.NoError(t, err)
	require.NoError(t, up.WriteAt(lowerBytes, lowerAt))
	lowerPath := filepath.Join(dir, "l.lsmt")
	_, err = lsmt.Commit(up, lowerPath, lsmt.CommitOptions{})
	require.NoError(t, err)
	require.NoError(t, up.Close())
	lower, err := lsmt.OpenLayerFile(lowerPath)
	require.NoError(t, err)
	if readOnly {
		img, err := engine.NewImage([]*lsmt.ROLayer{lower}, nil)
		require.NoError(t, err)
		return img
	}

	d, i = filepath.Join(dir, "u.data"), filepath.Join(dir, "u.index")
	require.NoError(t, lsmt.CreateRW(d, i, lsmt.CreateOptions{VirtualSize: 1 << 20}))
	up, err = lsmt.OpenUpper(d, i, true)
	require.NoError(t, err)
	img, err := engine.NewImage([]*lsmt.ROLayer{lower}, up)
	require.NoError(t, err)
	return img
}

var (
	lowerBytes = bytes.Repeat([]byte("lower layer data"), 512) // 8 KiB
	lowerAt    = int64(64 << 10)
)

// The image through a queue: reads of the lower, writes over it, discards and flushes give
// the bytes an image must, and no request allocates once warm.
func TestImageThroughQueue(t *testing.T) {
	tg := New(testImage(t, false))
	defer tg.Close()
	h := ublktest.HostQueue(t, tg, 4, 64<<10)
	serve := func(tag uint16, op ublk.Op, off int64, n uint32) int32 { return ublktest.Serve(t, h, tag, op, off, n) }

	require.Equal(t, int32(8192), serve(0, ublk.OpRead, lowerAt, 8192))
	require.Equal(t, lowerBytes, h.Buf(0)[:8192], "the lower shows through")

	mine := bytes.Repeat([]byte{0xa5}, 4096)
	copy(h.Buf(1), mine)
	require.Equal(t, int32(4096), serve(1, ublk.OpWrite, lowerAt+4096, 4096))
	require.Equal(t, int32(0), serve(1, ublk.OpFlush, 0, 0))
	require.Equal(t, int32(8192), serve(0, ublk.OpRead, lowerAt, 8192))
	require.Equal(t, lowerBytes[:4096], h.Buf(0)[:4096])
	require.Equal(t, mine, h.Buf(0)[4096:8192], "the upper wins")

	require.Equal(t, int32(0), serve(2, ublk.OpDiscard, lowerAt, 4096))
	require.Equal(t, int32(0), serve(2, ublk.OpWriteZeroes, lowerAt+4096, 4096))
	require.Equal(t, int32(8192), serve(0, ublk.OpRead, lowerAt, 8192))
	require.Equal(t, make([]byte, 8192), h.Buf(0)[:8192], "discarded ranges read as zeros over the lower")

	require.Equal(t, -int32(syscall.EINVAL), serve(3, ublk.OpRead, 1<<20, 4096), "past the end: EINVAL")

	// Warm the upper's index to its steady size, then nothing may allocate.
	for k := range 2000 {
		serve(1, ublk.OpWrite, int64(k%200)*4096, 4096)
	}
	for _, op := range []ublk.Op{ublk.OpRead, ublk.OpWrite, ublk.OpDiscard, ublk.OpFlush} {
		allocs := testing.AllocsPerRun(300, func() { serve(3, op, 8192, 4096) })
		require.Zero(t, allocs, "%v allocates", op)
	}
}

// A read-only image refuses writes with EROFS.
func TestImageReadOnlyRefusesWrites(t *testing.T) {
	tg := New(testImage(t, true))
	defer tg.Close()
	h := ublktest.HostQueue(t, tg, 2, 4096)
	require.Equal(t, -int32(syscall.EROFS), ublktest.Serve(t, h, 0, ublk.OpWrite, 0, 4096))
	require.Equal(t, int32(4096), ublktest.Serve(t, h, 0, ublk.OpRead, lowerAt, 4096))
	require.Equal(t, lowerBytes[:4096], h.Buf(0)[:4096])
}
