package zfile

import (
	"bytes"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// memFile is an in-memory io.WriterAt / io.ReaderAt.
type memFile struct {
	mu  sync.Mutex
	buf []byte
}

func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if end := int(off) + len(p); end > len(m.buf) {
		if end > cap(m.buf) {
			nb := make([]byte, end, max(end, 2*cap(m.buf)))
			copy(nb, m.buf)
			m.buf = nb
		}
		m.buf = m.buf[:end]
	}
	copy(m.buf[off:], p)
	return len(p), nil
}

func (m *memFile) Bytes() []byte { return m.buf }

// compressBytes writes src as a ZFile in pieces of uneven size and returns the file.
func compressBytes(t testing.TB, src []byte, opts Options) ([]byte, []string) {
	t.Helper()
	var f memFile
	w, err := NewWriter(&f, opts)
	require.NoError(t, err)
	for off, step := 0, 1; off < len(src); step = step*5%(3<<20) + 1 {
		n := min(step, len(src)-off)
		k, err := w.Write(src[off : off+n])
		require.NoError(t, err)
		require.Equal(t, n, k)
		off += n
	}
	require.NoError(t, w.Close())
	require.Equal(t, int64(len(f.buf)), w.Size())
	return f.Bytes(), w.Warnings()
}

func openBytes(t testing.TB, b []byte) *Reader {
	t.Helper()
	r, err := Open(bytes.NewReader(b), int64(len(b)), "test.zfile")
	require.NoError(t, err)
	return r
}

// testData makes n bytes that mix what disk images hold: runs of zeros, text, repeated
// records and random (incompressible) bytes.
func testData(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 42))
	out := make([]byte, n)
	words := []string{"overlaybd ", "block ", "device ", "zfile ", "lz4 ", "zstd ", "layer\n", "0123 "}
	for off := 0; off < n; {
		l := min(n-off, 1+rng.IntN(48<<10))
		seg := out[off : off+l]
		switch rng.IntN(4) {
		case 0: // zeros: already zero
		case 1:
			for i := 0; i < len(seg); {
				i += copy(seg[i:], words[rng.IntN(len(words))])
			}
		case 2:
			rec := make([]byte, 1+rng.IntN(200))
			fillRandom(rng, rec)
			for i := 0; i < len(seg); {
				i += copy(seg[i:], rec)
			}
		default:
			fillRandom(rng, seg)
		}
		off += l
	}
	return out
}

func fillRandom(rng *rand.Rand, b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	fillRandom(rand.New(rand.NewPCG(seed, 7)), b)
	return b
}

// countingReaderAt counts ReadAt calls and fails any read outside [0, size).
type countingReaderAt struct {
	r     io.ReaderAt
	size  int64
	mu    sync.Mutex
	calls int
	bad   bool
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	c.calls++
	if off < 0 || off+int64(len(p)) > c.size {
		c.bad = true
	}
	c.mu.Unlock()
	return c.r.ReadAt(p, off)
}
