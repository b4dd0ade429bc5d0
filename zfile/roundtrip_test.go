package zfile

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRoundTrip runs the full matrix (both codecs, 4/16/64 KiB blocks, CRC on and off) on
// small sizes around the block edges and a few MiB of mixed data. The 100 MiB size runs for
// two configurations only, lz4/4 KiB/CRC and zstd/64 KiB/CRC (the two the benchmarks
// measure), to keep a 2-core CI fast; the small sizes already cover every combination.
func TestRoundTrip(t *testing.T) {
	for _, alg := range []Algorithm{LZ4, Zstd} {
		for _, bs := range []int{4 << 10, 16 << 10, 64 << 10} {
			for _, noVerify := range []bool{false, true} {
				opts := Options{Algorithm: alg, BlockSize: bs, NoVerify: noVerify}
				sizes := []int{0, 1, 511, bs, bs + 1, 3<<20 + 777}
				if !noVerify && (alg == LZ4 && bs == 4<<10 || alg == Zstd && bs == 64<<10) {
					sizes = append(sizes, 100<<20)
				}
				for _, size := range sizes {
					name := fmt.Sprintf("%v/%dk/verify=%v/%d", alg, bs>>10, !noVerify, size)
					t.Run(name, func(t *testing.T) {
						if size >= 100<<20 && (testing.Short() || raceEnabled) {
							t.Skip("100 MiB case skipped in -short and -race runs")
						}
						t.Parallel()
						src := testData(size, uint64(size)+uint64(bs))
						z, _ := compressBytes(t, src, opts)
						r := openBytes(t, z)
						require.Equal(t, int64(size), r.Size())
						in := r.Info()
						assert.Equal(t, alg, in.Algorithm)
						assert.Equal(t, bs, in.BlockSize)
						assert.Equal(t, !noVerify, in.Verify)
						reads := 400
						if size >= 100<<20 {
							reads = 2000
						}
						checkRandomReads(t, r, src, reads, uint64(size))
						if size <= 4<<20 {
							assert.True(t, bytes.Equal(src, readAll(t, r)), "full read")
						}
					})
				}
			}
		}
	}
}

// TestRoundTripIncompressible writes random data, which LZ4 and zstd both store larger than
// the input, as overlaybd does: no raw-block escape, the codec's own output as is.
func TestRoundTripIncompressible(t *testing.T) {
	for _, alg := range []Algorithm{LZ4, Zstd} {
		for _, bs := range []int{4 << 10, 32 << 10, 64 << 10} {
			t.Run(fmt.Sprintf("%v/%dk", alg, bs>>10), func(t *testing.T) {
				src := randomBytes(8*bs+100, uint64(bs))
				z, warn := compressBytes(t, src, Options{Algorithm: alg, BlockSize: bs})
				r := openBytes(t, z)
				assert.Greater(t, r.Info().MaxStored, bs, "random blocks grow")
				assert.True(t, bytes.Equal(src, readAll(t, r)))
				if bs == 64<<10 {
					// Every full block is over overlaybd's 64 KiB read buffer.
					require.Len(t, warn, 1)
					assert.Contains(t, warn[0], "8 of 9 blocks (0, 1, 2, 3, 4, 5, 6, 7)")
					assert.Contains(t, warn[0], "32 KiB or less")
					assert.True(t, r.Info().OverlaybdUnreadable())
				} else {
					assert.Empty(t, warn)
					assert.False(t, r.Info().OverlaybdUnreadable())
				}
			})
		}
	}
}

func TestReadAtEdges(t *testing.T) {
	src := testData(5*4096+100, 3)
	r := openBytes(t, mustCompress(t, src, Options{}))
	buf := make([]byte, 10)
	n, err := r.ReadAt(buf, r.Size())
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF)
	n, err = r.ReadAt(buf, r.Size()+100)
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF)
	n, err = r.ReadAt(buf, r.Size()-3)
	assert.Equal(t, 3, n)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, src[len(src)-3:], buf[:3])
	n, err = r.ReadAt(nil, 5)
	assert.Equal(t, 0, n)
	assert.NoError(t, err)
	_, err = r.ReadAt(buf, -1)
	assert.Error(t, err)
	// A request whose compressed bytes exceed one read buffer is read in pieces.
	big := make([]byte, len(src))
	n, err = r.ReadAt(big, 0)
	assert.Equal(t, len(src), n)
	assert.NoError(t, err)
	assert.Equal(t, src, big)
}

// TestReadIsOneRead checks that a multi-block request reads its compressed range with one
// ReadAt of the underlying file, and never reads outside it.
func TestReadIsOneRead(t *testing.T) {
	src := testData(4<<20, 9)
	z := mustCompress(t, src, Options{})
	c := &countingReaderAt{r: bytes.NewReader(z), size: int64(len(z))}
	r, err := Open(c, int64(len(z)), "count")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 512<<10)
	for range 200 {
		l := 1 + rng.IntN(len(buf))
		off := rng.Int64N(int64(len(src) - l))
		c.calls = 0
		_, err := r.ReadAt(buf[:l], off)
		require.NoError(t, err)
		assert.Equal(t, 1, c.calls, "ReadAt(%d, %d)", l, off)
	}
	assert.False(t, c.bad, "read outside the file")
}

// TestLargeRequest covers requests longer than one compressed read buffer.
func TestLargeRequest(t *testing.T) {
	src := randomBytes(3<<20, 5) // incompressible: stored bigger than raw
	r := openBytes(t, mustCompress(t, src, Options{}))
	got := make([]byte, len(src)-10)
	n, err := r.ReadAt(got, 7)
	require.NoError(t, err)
	require.Equal(t, len(got), n)
	assert.True(t, bytes.Equal(src[7:len(src)-3], got))
}

func mustCompress(t testing.TB, src []byte, opts Options) []byte {
	z, _ := compressBytes(t, src, opts)
	return z
}

func TestWriterOptions(t *testing.T) {
	for _, o := range []Options{
		{BlockSize: 2048},
		{BlockSize: 128 << 10},
		{BlockSize: 5000},
		{Algorithm: 3},
		{Level: -1},
	} {
		_, err := NewWriter(&memFile{}, o)
		assert.Error(t, err, "%+v", o)
	}
	// Levels are recorded and honoured.
	src := testData(1<<20, 11)
	for _, o := range []Options{{Algorithm: LZ4, Level: 9}, {Algorithm: Zstd, Level: 19}, {Algorithm: Zstd, Level: 1}} {
		z := mustCompress(t, src, o)
		r := openBytes(t, z)
		assert.Equal(t, o.Level, r.Info().Level)
		assert.True(t, bytes.Equal(src, readAll(t, r)))
	}
	w, err := NewWriter(&memFile{}, Options{Workers: 1})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	_, err = w.Write([]byte("x"))
	assert.Error(t, err)
	assert.Error(t, w.Close())
}

type failingWriterAt struct{ after int }

func (f *failingWriterAt) WriteAt(p []byte, off int64) (int, error) {
	if f.after <= 0 {
		return 0, fmt.Errorf("disk full")
	}
	f.after--
	return len(p), nil
}

func TestWriterError(t *testing.T) {
	w, err := NewWriter(&failingWriterAt{after: 1}, Options{Workers: 2})
	require.NoError(t, err)
	src := testData(8<<20, 1)
	var werr error
	for off := 0; off < len(src) && werr == nil; off += 1 << 20 {
		_, werr = w.Write(src[off : off+1<<20])
	}
	err = w.Close()
	assert.ErrorContains(t, err, "disk full")
}

// TestDecodeAt reads stored bytes the way an io_uring caller would (StoredExtent, its own
// read, DecodeAt) and compares with the source.
func TestDecodeAt(t *testing.T) {
	src := testData(2<<20+333, 21)
	for _, o := range []Options{{}, {Algorithm: Zstd, BlockSize: 64 << 10}, {BlockSize: 16 << 10, NoVerify: true}} {
		z := mustCompress(t, src, o)
		r := openBytes(t, z)
		rng := rand.New(rand.NewPCG(4, 4))
		for range 300 {
			off := rng.Int64N(int64(len(src)) + 10)
			buf := make([]byte, rng.IntN(300<<10))
			fo, n := r.StoredExtent(off, len(buf))
			k, err := r.DecodeAt(buf, off, z[fo:fo+int64(n)])
			wantN := int(max(0, min(int64(len(buf)), int64(len(src))-off)))
			require.Equal(t, wantN, k)
			if wantN < len(buf) && len(buf) > 0 {
				require.ErrorIs(t, err, io.EOF)
			} else {
				require.NoError(t, err)
			}
			require.True(t, bytes.Equal(src[off:off+int64(wantN)], buf[:wantN]))
		}
		fo, n := r.StoredExtent(100, 5000)
		_, err := r.DecodeAt(make([]byte, 5000), 100, z[fo:fo+int64(n)-1])
		assert.ErrorContains(t, err, "stored bytes")
		bad := bytes.Clone(z[fo : fo+int64(n)])
		bad[len(bad)/2] ^= 1
		if !o.NoVerify {
			_, err = r.DecodeAt(make([]byte, 5000), 100, bad)
			assert.ErrorIs(t, err, ErrCorrupt)
		}
	}
}

// TestNoGoroutinesLeft: Close stops the writer's workers, and reading (pooled zstd decoders
// included) starts no goroutine.
func TestNoGoroutinesLeft(t *testing.T) {
	before := runtime.NumGoroutine()
	src := testData(3<<20, 30)
	for _, alg := range []Algorithm{LZ4, Zstd} {
		z := mustCompress(t, src, Options{Algorithm: alg, Workers: 4})
		r := openBytes(t, z)
		require.NoError(t, r.Verify(nil))
	}
	// Also after a failed write.
	w, err := NewWriter(&failingWriterAt{after: 1}, Options{Algorithm: Zstd, Workers: 3})
	require.NoError(t, err)
	w.Write(src)
	assert.Error(t, w.Close())
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before)
}
