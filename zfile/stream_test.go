package zfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oddReader returns at most a few odd-sized bytes per Read, so ReadFrom must fill its
// batches over many reads.
type oddReader struct {
	src  []byte
	step int
}

func (o *oddReader) Read(p []byte) (int, error) {
	if len(o.src) == 0 {
		return 0, io.EOF
	}
	o.step = o.step*7%(700<<10) + 1
	n := copy(p[:min(len(p), o.step)], o.src)
	o.src = o.src[n:]
	return n, nil
}

// failingReader yields n bytes, then an error.
type failingReader struct{ n int }

var errReadBroke = errors.New("read broke")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errReadBroke
	}
	k := min(len(p), f.n)
	clear(p[:k])
	f.n -= k
	return k, nil
}

// checkNoGoroutinesLeft fails if the goroutine count does not come back to before.
func checkNoGoroutinesLeft(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines left running")
}

// TestCompressStreamSameBytes: CompressStream (reads straight into the batches) writes the
// bytes Writer.Write writes, for sizes around the block and batch edges, any worker count
// and reads of any size; RawSize, Size and the progress calls add up.
func TestCompressStreamSameBytes(t *testing.T) {
	for _, opts := range []Options{
		{Algorithm: LZ4, BlockSize: 4 << 10},
		{Algorithm: LZ4, BlockSize: 64 << 10, NoVerify: true, Workers: 1},
		{Algorithm: Zstd, BlockSize: 16 << 10, Workers: 3},
	} {
		workers := opts.Workers
		if workers == 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		batch := itemBytes(workers, opts.BlockSize)
		for _, size := range []int{0, 1, opts.BlockSize - 1, batch - 1, batch, batch + 1, 2*batch + 3} {
			t.Run(fmt.Sprintf("%s/workers=%d/%d", configName(opts), opts.Workers, size), func(t *testing.T) {
				src := testData(size, uint64(size)+3)
				want := mustCompress(t, src, opts)
				var got memFile
				var last int64
				calls := 0
				res, err := CompressStream(&got, &oddReader{src: src}, StreamOptions{Options: opts, Progress: func(done int64) {
					assert.Greater(t, done, last, "progress goes forward")
					last = done
					calls++
				}})
				require.NoError(t, err)
				assert.True(t, bytes.Equal(want, got.Bytes()), "CompressStream and Writer.Write differ")
				assert.Equal(t, int64(size), res.RawSize)
				assert.Equal(t, int64(len(want)), res.Size)
				assert.Equal(t, int64(size), last)
				assert.Equal(t, size > 0, calls > 0)
			})
		}
	}
}

// TestCompressStreamMatchesOverlaybd: the tar-wrapped stream of A/L0.lsmt is
// overlaybd-commit -z -t's file byte for byte, and Size is its length.
func TestCompressStreamMatchesOverlaybd(t *testing.T) {
	m, _ := zfileFixtures(t)
	src, err := os.ReadFile(m.Path("A/L0.lsmt"))
	require.NoError(t, err)
	want, err := os.ReadFile(m.Path("A/L0.lz4-4k.zfile.tar"))
	require.NoError(t, err)
	for _, workers := range []int{1, 2, 5} {
		var got memFile
		res, err := CompressStream(&got, bytes.NewReader(src), StreamOptions{Options: Options{Workers: workers}, Tar: true})
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want, got.Bytes()), "workers=%d: not overlaybd's file", workers)
		assert.Equal(t, int64(len(want)), res.Size)
		assert.Equal(t, int64(len(src)), res.RawSize)
	}
}

func TestCompressStreamErrors(t *testing.T) {
	before := runtime.NumGoroutine()
	// A read error after some batches: reported as a read error, with the reader's error.
	_, err := CompressStream(&memFile{}, &failingReader{n: 3<<20 + 5}, StreamOptions{Options: Options{Workers: 2}})
	require.ErrorIs(t, err, errReadBroke)
	assert.ErrorContains(t, err, "read input")
	// A write error: the first one is returned, and reading stops.
	fr := &failingReader{n: 64 << 20}
	_, err = CompressStream(&failingWriterAt{after: 2}, fr, StreamOptions{Options: Options{Workers: 2}})
	assert.ErrorContains(t, err, "disk full")
	assert.NotZero(t, fr.n, "read the whole input after the write had failed")
	// Bad options come back before anything is read.
	_, err = CompressStream(&memFile{}, &failingReader{}, StreamOptions{Options: Options{BlockSize: 3000}})
	assert.ErrorContains(t, err, "block size 3000")
	checkNoGoroutinesLeft(t, before)
}

func TestItemBytes(t *testing.T) {
	assert.Equal(t, 4<<20, itemBytes(2, 4096), "2 cores: 4 MiB items")
	assert.Equal(t, 256<<10, itemBytes(64, 4096), "64 cores: items shrink, not the budget")
	assert.Equal(t, 819*4096, itemBytes(3, 4096), "a whole number of blocks")
	assert.Equal(t, 4<<20, itemBytes(1, 64<<10))
}

func TestTarSize(t *testing.T) {
	for n, want := range map[int64]int64{0: 2560, 1: 3072, 512: 3072, 513: 3584} {
		assert.Equal(t, want, TarSize(n), n)
	}
}

// TestDecompressTo: every configuration, sizes around the block and work-item edges, any
// worker count: the stream is the source, in order, and progress reaches the end.
func TestDecompressTo(t *testing.T) {
	for _, opts := range []Options{
		{Algorithm: LZ4, BlockSize: 4 << 10},
		{Algorithm: LZ4, BlockSize: 16 << 10, NoVerify: true},
		{Algorithm: Zstd, BlockSize: 64 << 10},
	} {
		item := itemBytes(2, opts.BlockSize)
		for _, size := range []int{0, 1, opts.BlockSize + 1, item, 2*item + 4097} {
			src := testData(size, uint64(size)+11)
			r := openBytes(t, mustCompress(t, src, opts))
			for _, workers := range []int{1, 2, 5} {
				t.Run(fmt.Sprintf("%s/%d/workers=%d", configName(opts), size, workers), func(t *testing.T) {
					var out bytes.Buffer
					var last int64
					n, err := DecompressTo(&out, r, DecompressOptions{Workers: workers, Progress: func(done int64) { last = done }})
					require.NoError(t, err)
					assert.Equal(t, int64(size), n)
					assert.Equal(t, int64(size), last)
					assert.True(t, bytes.Equal(src, out.Bytes()), "decompressed bytes differ")
				})
			}
		}
	}
}

// TestDecompressToFileHoles: zero 64 KiB pieces become holes, the file reads back as the
// source and has its full size even when it ends in zeros.
func TestDecompressToFileHoles(t *testing.T) {
	src := testData(6<<20, 5)
	clear(src[holePiece : 40*holePiece])  // a hole inside the first work item
	clear(src[len(src)-3*holePiece-100:]) // and zeros to the end
	r := openBytes(t, mustCompress(t, src, Options{}))
	path := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, DecompressToFile(f, r, DecompressOptions{}))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(src, got), "file differs from the source")
	st, err := f.Stat()
	require.NoError(t, err)
	allocated := st.Sys().(*syscall.Stat_t).Blocks * 512
	assert.Less(t, allocated, int64(len(src)-40*holePiece), "zeros were written, not left as holes")
}

func TestWriteSparse(t *testing.T) {
	b := make([]byte, 5*holePiece+100)
	b[holePiece+3] = 1
	b[4*holePiece] = 2
	b[len(b)-1] = 3
	f := &recordingWriterAt{}
	require.NoError(t, writeSparse(f, b, 1000))
	assert.Equal(t, [][2]int64{{1000 + holePiece, holePiece}, {1000 + 4*holePiece, holePiece + 100}}, f.writes)
}

type recordingWriterAt struct{ writes [][2]int64 }

func (r *recordingWriterAt) WriteAt(p []byte, off int64) (int, error) {
	r.writes = append(r.writes, [2]int64{off, int64(len(p))})
	return len(p), nil
}

// TestDecompressCorruptBlock: a damaged block deep in the file stops the stream with a
// CorruptError naming that block; nothing from its work item or after is written.
func TestDecompressCorruptBlock(t *testing.T) {
	before := runtime.NumGoroutine()
	item := itemBytes(2, 4096)
	src := testData(3*item, 8)
	z := mustCompress(t, src, Options{})
	r := openBytes(t, z)
	bad := item/4096 + 300 // in the second work item
	z[htSpace+r.jt.offset(bad)+1] ^= 0x40
	r = openBytes(t, z)
	var out bytes.Buffer
	n, err := DecompressTo(&out, r, DecompressOptions{Workers: 2})
	require.ErrorIs(t, err, ErrCorrupt)
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, bad, ce.Block)
	assert.Equal(t, int64(item), n)
	assert.True(t, bytes.Equal(src[:n], out.Bytes()))

	path := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	require.ErrorIs(t, DecompressToFile(f, r, DecompressOptions{}), ErrCorrupt)
	checkNoGoroutinesLeft(t, before)
}

// failingWriter fails its n-th Write.
type failingWriter struct{ n int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.n--; f.n <= 0 {
		return 0, errors.New("pipe closed")
	}
	return len(p), nil
}

func TestDecompressWriteError(t *testing.T) {
	before := runtime.NumGoroutine()
	item := itemBytes(3, 4096)
	r := openBytes(t, mustCompress(t, testData(5*item, 9), Options{}))
	n, err := DecompressTo(&failingWriter{n: 2}, r, DecompressOptions{Workers: 3})
	assert.ErrorContains(t, err, "pipe closed")
	assert.ErrorContains(t, err, fmt.Sprintf("at %d", item))
	assert.Equal(t, int64(item), n)
	checkNoGoroutinesLeft(t, before)
}

// TestVerifyFirstBadBlockAcrossItems: with bad blocks in several work items, decoded at once
// on several cores, Verify still reports the first in file order.
func TestVerifyFirstBadBlockAcrossItems(t *testing.T) {
	item := itemBytes(runtime.GOMAXPROCS(0), 4096) / 4096
	z := mustCompress(t, testData(4*item*4096, 12), Options{})
	r := openBytes(t, z)
	for _, blk := range []int{3*item + 7, 2*item + 1, item + 5} {
		z[htSpace+r.jt.offset(blk)] ^= 0x10
		err := openBytes(t, z).Verify(nil)
		var ce *CorruptError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, blk, ce.Block)
		assert.Equal(t, htSpace+r.jt.offset(blk), ce.Offset)
	}
}
