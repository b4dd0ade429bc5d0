package zfile

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dadi-dev/dadi/internal/fixtures"
)

func TestCRCVectors(t *testing.T) {
	assert.Equal(t, uint32(0x58E3FA20), crcRaw(0, []byte("123456789")))
	assert.Equal(t, uint32(0x3C9BD4E0), crcRaw(blockCRCInit, []byte("123456789")))
	assert.Equal(t, uint32(0x3C9BD4E0), blockCRC([]byte("123456789")))
}

func TestCompressBound(t *testing.T) {
	// LZ4_compressBound and ZSTD_COMPRESSBOUND values.
	assert.Equal(t, 65536+257+16, compressBound(LZ4, 65536))
	assert.Equal(t, 4096+16+16, compressBound(LZ4, 4096))
	assert.Equal(t, 65536+256+32, compressBound(Zstd, 65536))
	assert.Equal(t, 4096+16+62, compressBound(Zstd, 4096))
	// The edge fixture's largest block (65790 + CRC) is inside the bound.
	assert.GreaterOrEqual(t, maxStored(LZ4, 65536, true), 65794)
}

// fixtureSource returns the uncompressed content a ZFile fixture was made from, when the
// manifest names it (or it is the gzipped raw image for raw-C01).
func fixtureSource(t *testing.T, m *fixtures.Manifest, f fixtureFile) []byte {
	t.Helper()
	if f.DecompressedEquals != "" {
		b, err := os.ReadFile(m.Path(f.DecompressedEquals))
		require.NoError(t, err)
		return b
	}
	if f.Rel == "A/raw-C01.lz4-4k.zfile" {
		fz, err := os.Open(m.Path("expected/A-C01.raw.gz"))
		require.NoError(t, err)
		defer fz.Close()
		gz, err := gzip.NewReader(fz)
		require.NoError(t, err)
		b, err := io.ReadAll(gz)
		require.NoError(t, err)
		return b
	}
	return nil
}

// TestWriterMatchesOverlaybd compresses each LZ4 fixture's source with the fixture's block
// size and CRC setting. pierrec/lz4's CompressorCCompat produces LZ4_compress_default's exact
// bytes, so the data, index and trailer are overlaybd's byte for byte, and so is the whole
// file where overlaybd also rewrote the header (overlaybd-commit -z, flags 0x1B). Where it did
// not (overlaybd-zfile, 0x13), dadi's header is the trailer's fields with flags 0x1B.
func TestWriterMatchesOverlaybd(t *testing.T) {
	m, files := zfileFixtures(t)
	n := 0
	for _, f := range files {
		if f.Tar != nil {
			continue
		}
		src := fixtureSource(t, m, f)
		if src == nil {
			continue
		}
		t.Run(f.Rel, func(t *testing.T) {
			want, err := os.ReadFile(m.Path(f.Rel))
			require.NoError(t, err)
			tr := f.Trailer
			alg, err := ParseAlgorithm(tr.Algo)
			require.NoError(t, err)
			got, warn := compressBytes(t, src, Options{Algorithm: alg, BlockSize: tr.BlockSize, NoVerify: !tr.Verify})
			checkWrittenLayout(t, got)
			if alg == Zstd {
				// klauspost/compress is not libzstd: same layout, different bytes. Its frames
				// still carry the content size, like ZSTD_compress's.
				assert.True(t, bytes.Equal(src, readAll(t, openBytes(t, got))))
				return
			}
			n++
			require.Equal(t, len(want), len(got), "file size")
			assert.True(t, bytes.Equal(want[htSpace:], got[htSpace:]), "blocks, index and trailer differ from overlaybd's")
			if f.Header.Flags&flagHeaderOverwrite != 0 {
				assert.True(t, bytes.Equal(want[:htSpace], got[:htSpace]), "rewritten header differs")
			} else {
				// Same fields as overlaybd's trailer, flagged as a rewritten header.
				var exp [htSpace]byte
				copy(exp[:], want[len(want)-htSpace:])
				binary.LittleEndian.PutUint64(exp[offFlags:], flagHeader|flagDataFile|flagHeaderOverwrite|flagDigest)
				binary.LittleEndian.PutUint32(exp[offDigest:], headerDigest(&exp))
				assert.True(t, bytes.Equal(exp[:], got[:htSpace]), "header is not the trailer's fields in the 0x1B form")
			}
			// The warning fires exactly for the file overlaybd cannot read.
			assert.Equal(t, f.OverlaybdReads != nil && !*f.OverlaybdReads, len(warn) > 0, "warnings %q", warn)
		})
	}
	require.NotZero(t, n, "no LZ4 fixture compared")
}

// checkWrittenLayout checks a file dadi wrote field by field, the way overlaybd-commit -z
// lays it out.
func checkWrittenLayout(t *testing.T, z []byte) {
	t.Helper()
	le := binary.LittleEndian
	require.GreaterOrEqual(t, len(z), 2*htSpace)
	h, tr := z[:htSpace], z[len(z)-htSpace:]
	for _, ht := range [][]byte{h, tr} {
		assert.Equal(t, magic0[:], ht[0:8])
		assert.Equal(t, magic1[:], ht[8:24])
		assert.Equal(t, uint32(96), le.Uint32(ht[24:]))
		var b [htSpace]byte
		copy(b[:], ht)
		assert.Equal(t, le.Uint32(ht[28:]), headerDigest(&b), "digest")
		// Unused and padding bytes are zero.
		assert.Equal(t, make([]byte, 4), ht[68:72], "reserved after index_crc")
		assert.Equal(t, make([]byte, 5), ht[79:84], "padding and reserved in the options")
		assert.Equal(t, make([]byte, 7), ht[89:96], "padding after verify")
		assert.Equal(t, make([]byte, htSpace-96), ht[96:], "space after the struct")
		assert.Equal(t, byte(0), ht[offUseDict], "use_dict")
		assert.Equal(t, uint32(0), le.Uint32(ht[offDictSize:]), "dict_size")
	}
	assert.Equal(t, uint64(0x1B), le.Uint64(h[offFlags:]), "header flags")
	assert.Equal(t, uint64(0x16), le.Uint64(tr[offFlags:]), "trailer flags")
	// The rewritten header repeats the trailer's fields.
	assert.Equal(t, tr[offIndexOffset:96], h[offIndexOffset:96])
	ioff := le.Uint64(tr[offIndexOffset:])
	n := le.Uint64(tr[offIndexSize:])
	require.Equal(t, uint64(len(z)-htSpace), ioff+4*n, "index then trailer")
	idx := z[ioff : ioff+4*n]
	assert.Equal(t, le.Uint32(tr[offIndexCRC:]), crcRaw(0, idx), "index_crc")
	bs := le.Uint32(tr[offBlockSize:])
	assert.Equal(t, (le.Uint64(tr[offRawSize:])+uint64(bs)-1)/uint64(bs), n, "index_size")
	verify := tr[offVerify]
	require.LessOrEqual(t, verify, byte(1))
	off := uint64(htSpace)
	for i := range n {
		l := uint64(le.Uint32(idx[4*i:]))
		blk := z[off : off+l]
		if verify == 1 {
			assert.Equal(t, le.Uint32(blk[len(blk)-4:]), blockCRC(blk[:len(blk)-4]), "block %d CRC", i)
			blk = blk[:len(blk)-4]
		}
		if Algorithm(tr[offAlgorithm]) == Zstd {
			// A whole zstd frame with the content size: magic, then single-segment.
			assert.Equal(t, []byte{0x28, 0xb5, 0x2f, 0xfd}, blk[:4], "block %d zstd magic", i)
			assert.NotZero(t, blk[4]&0x20, "block %d: single-segment frame (content size present)", i)
			assert.Zero(t, blk[4]&0x04, "block %d: no frame checksum, as ZSTD_compress", i)
		}
		off += l
	}
	assert.Equal(t, ioff, off, "blocks end where the index starts")
}

func TestWrittenLayoutAllOptions(t *testing.T) {
	src := testData(1<<20+123, 17)
	for _, alg := range []Algorithm{LZ4, Zstd} {
		for _, bs := range []int{4 << 10, 16 << 10, 64 << 10} {
			for _, nv := range []bool{false, true} {
				z := mustCompress(t, src, Options{Algorithm: alg, BlockSize: bs, NoVerify: nv})
				checkWrittenLayout(t, z)
				h := z[:htSpace]
				assert.Equal(t, byte(alg), h[offAlgorithm])
				assert.Equal(t, byte(0), h[offLevel])
				assert.Equal(t, uint32(bs), binary.LittleEndian.Uint32(h[offBlockSize:]))
				assert.Equal(t, !nv, h[offVerify] == 1)
			}
		}
	}
	checkWrittenLayout(t, mustCompress(t, nil, Options{}))
}

// TestTarFixture checks UnwrapTar on overlaybd's tar and that TarWriterAt reproduces it.
func TestTarFixture(t *testing.T) {
	m, files := zfileFixtures(t)
	for _, f := range files {
		if f.Tar == nil {
			continue
		}
		t.Run(f.Rel, func(t *testing.T) {
			data, err := os.ReadFile(m.Path(f.Rel))
			require.NoError(t, err)
			off, size, ok, err := UnwrapTar(bytes.NewReader(data), int64(len(data)))
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, f.Tar.MemberOffset, off)
			assert.Equal(t, f.Tar.MemberSize, size)
			var out memFile
			tw := NewTarWriterAt(&out)
			_, err = tw.WriteAt(data[off:off+size], 0)
			require.NoError(t, err)
			require.NoError(t, tw.Finish(size))
			assert.True(t, bytes.Equal(data, out.Bytes()), "tar differs from overlaybd's")
		})
	}
}

func TestTarPlainUstar(t *testing.T) {
	z := mustCompress(t, testData(100<<10, 2), Options{})
	// A plain ustar member: payload at 512, size in the octal field.
	var hdr [tarBlock]byte
	copy(hdr[:], "layer.zfile")
	libtarOctal(hdr[100:108], 0o644)
	libtarOctalNoNul(hdr[124:136], int64(len(z)))
	hdr[156] = '0'
	copy(hdr[257:], "ustar\x0000")
	libtarOctal(hdr[148:156], int64(tarSum(&hdr)))
	file := append(append(hdr[:], z...), make([]byte, 1024+(512-len(z)%512)%512)...)
	r, err := Open(bytes.NewReader(file), int64(len(file)), "plain.tar")
	require.NoError(t, err)
	assert.Equal(t, int64(512), r.Info().PayloadOffset)
	assert.True(t, r.Info().TarWrapped)
	// Not a tar at all, and a tar whose checksum is wrong.
	_, _, ok, err := UnwrapTar(bytes.NewReader(z), int64(len(z)))
	assert.False(t, ok)
	assert.NoError(t, err)
	file[0] ^= 1
	_, _, _, err = UnwrapTar(bytes.NewReader(file), int64(len(file)))
	assert.ErrorIs(t, err, ErrCorrupt)
	_, err = Open(bytes.NewReader([]byte(strings.Repeat("x", 2000))), 2000, "junk")
	assert.ErrorIs(t, err, ErrNotZFile)
}

func TestTarRoundTrip(t *testing.T) {
	src := testData(300<<10, 8)
	var out memFile
	tw := NewTarWriterAt(&out)
	w, err := NewWriter(tw, Options{Algorithm: Zstd})
	require.NoError(t, err)
	_, err = w.Write(src)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, tw.Finish(w.Size()))
	r := openBytes(t, out.Bytes())
	assert.Equal(t, int64(1536), r.Info().PayloadOffset)
	assert.True(t, bytes.Equal(src, readAll(t, r)))
	assert.Zero(t, len(out.Bytes())%512)
}
