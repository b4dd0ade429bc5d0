package zfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkFlipped opens z (one byte of the good file changed at pos) and reads the block that
// holds pos plus a few others. Every outcome must be an ErrCorrupt-class error or the right
// bytes; when pos is in a block's stored bytes and the file has CRCs, reading that block must
// fail, with an error that names the file and the block's offset.
func checkFlipped(t *testing.T, z []byte, pos int, want []byte, name string, rng *rand.Rand) {
	r, err := Open(bytes.NewReader(z), int64(len(z)), name)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotZFile) && !errors.Is(err, ErrNotSupported) {
			t.Fatalf("flip at %d: Open: unexpected error kind: %v", pos, err)
		}
		return
	}
	in := r.Info()
	bs := int64(in.BlockSize)
	dataPos := int64(pos) - in.PayloadOffset - htSpace
	hit := -1
	var blocks []int
	if dataPos >= 0 && dataPos < in.DataSize {
		for hit = 0; r.jt.offset(hit+1) <= dataPos; hit++ {
		}
		blocks = append(blocks, hit)
	}
	blocks = append(blocks, rng.IntN(in.Blocks))
	buf := make([]byte, bs)
	for _, b := range blocks {
		off := int64(b) * bs
		n, err := r.ReadAt(buf, off)
		if err != nil && err != io.EOF {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("flip at %d: read at %d: unexpected error kind: %v", pos, off, err)
			}
			var ce *CorruptError
			require.True(t, errors.As(err, &ce))
			require.Contains(t, err.Error(), name)
			require.Equal(t, b, ce.Block, "flip at %d: error names another block", pos)
			require.Equal(t, r.blockFileOffset(b), ce.Offset)
			continue
		}
		if !bytes.Equal(buf[:n], want[off:off+int64(n)]) {
			t.Fatalf("flip at %d: read at %d returned wrong bytes", pos, off)
		}
		if b == hit && in.Verify {
			t.Fatalf("flip at %d (in block %d) went unnoticed", pos, b)
		}
	}
}

// TestFlipEveryByte flips each byte of the CRC fixtures up to 64 KiB (every position), and of
// larger ones the first and last 4 KiB (header, first blocks, index, trailer) plus 1500
// positions drawn at random.
func TestFlipEveryByte(t *testing.T) {
	m, files := zfileFixtures(t)
	for _, f := range files {
		if !f.Trailer.Verify {
			continue
		}
		t.Run(f.Rel, func(t *testing.T) {
			t.Parallel()
			r, good := openFixture(t, m, f.Rel)
			want := readAll(t, r)
			var positions []int
			if len(good) <= 64<<10 && !raceEnabled {
				for i := range good {
					positions = append(positions, i)
				}
			} else {
				rng := rand.New(rand.NewPCG(uint64(len(good)), 3))
				for i := 0; i < min(4096, len(good)); i++ {
					positions = append(positions, i, len(good)-1-i)
				}
				for range 1500 {
					positions = append(positions, rng.IntN(len(good)))
				}
			}
			z := bytes.Clone(good)
			rng := rand.New(rand.NewPCG(9, 9))
			for i, pos := range positions {
				delta := byte(0xFF)
				if i%3 == 1 {
					delta = 1 << (i % 8)
				}
				z[pos] ^= delta
				checkFlipped(t, z, pos, want, f.Rel, rng)
				z[pos] = good[pos]
			}
		})
	}
}

func TestTruncated(t *testing.T) {
	m, _ := zfileFixtures(t)
	good, err := os.ReadFile(m.Path("Z/L1.zstd-64k.zfile"))
	require.NoError(t, err)
	for n := 0; n < len(good); n++ {
		_, err := Open(bytes.NewReader(good[:n]), int64(n), "cut")
		require.Error(t, err, "truncated to %d", n)
		require.True(t, errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotZFile), "truncated to %d: %v", n, err)
	}
	// The source is shorter than the size it was opened with.
	for _, n := range []int{0, 100, 600, len(good) - 600, len(good) - 1} {
		_, err := Open(bytes.NewReader(good[:n]), int64(len(good)), "short")
		assert.ErrorIs(t, err, ErrCorrupt, "%d of %d bytes", n, len(good))
		assert.ErrorContains(t, err, "truncated")
	}
	// The source shrinks after Open (a remote blob replaced, a file cut): reads fail as corrupt.
	r, err := Open(&shrinking{data: good, n: len(good)}, int64(len(good)), "shrunk")
	require.NoError(t, err)
	r.src.(*shrinking).n = 1000
	_, err = r.ReadAt(make([]byte, 4096), 30000)
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.ErrorContains(t, err, "truncated")
}

type shrinking struct {
	data []byte
	n    int
}

func (s *shrinking) ReadAt(p []byte, off int64) (int, error) {
	return bytes.NewReader(s.data[:s.n]).ReadAt(p, off)
}

// reseal rewrites a ZFile's index through edit and recomputes every digest and CRC, so the
// reader's structural checks (not the checksums) must catch the damage.
func reseal(t *testing.T, z []byte, edit func(h *headerTrailer, lens []uint32)) []byte {
	t.Helper()
	z = bytes.Clone(z)
	var b [htSpace]byte
	copy(b[:], z[len(z)-htSpace:])
	tr, err := parseHeaderTrailer(&b, "x", 0, "trailer")
	require.NoError(t, err)
	idx := z[tr.IndexOffset : tr.IndexOffset+4*tr.IndexSize]
	lens := make([]uint32, tr.IndexSize)
	for i := range lens {
		lens[i] = binary.LittleEndian.Uint32(idx[4*i:])
	}
	edit(&tr, lens)
	for i, l := range lens {
		binary.LittleEndian.PutUint32(idx[4*i:], l)
	}
	tr.IndexCRC = crcRaw(0, idx)
	tr.marshal(&b)
	copy(z[len(z)-htSpace:], b[:])
	tr.Flags = tr.Flags&^flagSealed | flagHeader | flagHeaderOverwrite
	tr.marshal(&b)
	copy(z[:htSpace], b[:])
	return z
}

func TestStructuralDamage(t *testing.T) {
	src := testData(200<<10, 4)
	good := mustCompress(t, src, Options{})
	open := func(z []byte) error {
		_, err := Open(bytes.NewReader(z), int64(len(z)), "damaged.zfile")
		return err
	}
	require.NoError(t, open(reseal(t, good, func(*headerTrailer, []uint32) {})))
	cases := map[string]func(h *headerTrailer, lens []uint32){
		"jump table past the data": func(h *headerTrailer, l []uint32) { l[3] += 100 },
		"block longer than the bound": func(h *headerTrailer, l []uint32) {
			l[0] += l[1]
			l[1] = 0
		},
		"block over the bound alone": func(h *headerTrailer, l []uint32) { l[len(l)-1] = 5000 },
		"empty block":                func(h *headerTrailer, l []uint32) { l[2] = 0 },
		"index past the trailer":     func(h *headerTrailer, l []uint32) { h.IndexOffset += 8 },
		"size disagrees with blocks": func(h *headerTrailer, l []uint32) { h.RawSize += 5000 },
		"huge index size":            func(h *headerTrailer, l []uint32) { h.IndexSize = 1 << 60; h.RawSize = 1 << 62 },
		"block size not power of 2":  func(h *headerTrailer, l []uint32) { h.BlockSize = 5000 },
		"verify byte 2":              func(h *headerTrailer, l []uint32) { h.Verify = 2 },
	}
	for name, edit := range cases {
		err := open(reseal(t, good, edit))
		assert.ErrorIs(t, err, ErrCorrupt, name)
		assert.ErrorContains(t, err, "damaged.zfile", name)
		assert.ErrorContains(t, err, "offset", name)
	}
	for name, edit := range map[string]func(h *headerTrailer, lens []uint32){
		"dictionary":       func(h *headerTrailer, l []uint32) { h.UseDict = 1 },
		"unknown codec":    func(h *headerTrailer, l []uint32) { h.Algorithm = 3 },
		"compressed index": func(h *headerTrailer, l []uint32) { h.Flags |= flagIndexCompressed },
		"128 KiB blocks":   func(h *headerTrailer, l []uint32) { h.BlockSize = 128 << 10 },
	} {
		assert.ErrorIs(t, open(reseal(t, good, edit)), ErrNotSupported, name)
	}
	// Digests: a changed header byte, a changed index byte.
	z := bytes.Clone(good)
	z[offLevel] ^= 1
	err := open(z)
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.ErrorContains(t, err, "header digest")
	z = bytes.Clone(good)
	z[len(z)-htSpace-5] ^= 1
	assert.ErrorContains(t, open(z), "index CRC")
}

func TestVerifyReportsFirstBadBlock(t *testing.T) {
	src := testData(1<<20, 6)
	z := mustCompress(t, src, Options{BlockSize: 16 << 10})
	r := openBytes(t, z)
	require.NoError(t, r.Verify(nil))
	for _, blk := range []int{0, 5, r.Info().Blocks - 1} {
		bad := bytes.Clone(z)
		off := r.blockFileOffset(blk)
		bad[off+2] ^= 0x40
		bad[r.blockFileOffset(blk+1)-1] ^= 1 // and its CRC
		if blk+2 <= r.Info().Blocks {
			bad[r.blockFileOffset(min(blk+2, r.Info().Blocks-1))] ^= 1 // a later block too
		}
		rb := openBytes(t, bad)
		var last int64
		err := rb.Verify(func(done int64) { last = done })
		var ce *CorruptError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, blk, ce.Block)
		assert.Equal(t, off, ce.Offset)
		assert.Less(t, last, r.Size())
	}
}
