package zfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dadi-dev/dadi/internal/fixtures"
)

// fixtureHT is a header or trailer as MANIFEST.json records it.
type fixtureHT struct {
	StructSize    uint32 `json:"struct_size"`
	Digest        uint32 `json:"digest"`
	DigestMatches bool   `json:"digest_matches_crc32c_raw_of_512B_with_digest_zeroed"`
	Flags         uint64 `json:"flags"`
	IndexOffset   int64  `json:"index_offset"`
	IndexSize     int    `json:"index_size_blocks"`
	RawSize       int64  `json:"original_file_size"`
	IndexCRC      uint32 `json:"index_crc"`
	BlockSize     int    `json:"block_size"`
	Algo          string `json:"algo"`
	Level         int    `json:"level"`
	UseDict       int    `json:"use_dict"`
	DictSize      int    `json:"dict_size"`
	Verify        bool   `json:"verify_crc"`
}

// fixtureFile is a file record of MANIFEST.json, the parts these tests read.
type fixtureFile struct {
	Rel                string     `json:"file"`
	Size               int64      `json:"size"`
	Format             string     `json:"format"`
	Header             *fixtureHT `json:"zfile_header"`
	Trailer            *fixtureHT `json:"zfile_trailer"`
	DecompressedSHA256 string     `json:"decompressed_sha256"`
	DecompressedEquals string     `json:"decompressed_equals"`
	ProducedBy         string     `json:"produced_by"`
	OverlaybdReads     *bool      `json:"overlaybd_zfile_x_matches"`
	Tar                *struct {
		MemberOffset int64 `json:"member_offset"`
		MemberSize   int64 `json:"member_size"`
	} `json:"tar"`
}

// zfileFixtures lists the ZFile fixtures (tar-wrapped ones included), sorted by name.
func zfileFixtures(t testing.TB) (*fixtures.Manifest, []fixtureFile) {
	t.Helper()
	m := fixtures.Load(t)
	var out []fixtureFile
	for rel, raw := range m.Files {
		var f fixtureFile
		require.NoError(t, json.Unmarshal(raw, &f), rel)
		if f.Header == nil {
			continue
		}
		f.Rel = rel
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rel < out[j].Rel })
	require.NotEmpty(t, out, "no ZFile in the manifest")
	return m, out
}

func openFixture(t testing.TB, m *fixtures.Manifest, rel string) (*Reader, []byte) {
	t.Helper()
	data, err := os.ReadFile(m.Path(rel))
	require.NoError(t, err)
	r, err := Open(bytes.NewReader(data), int64(len(data)), rel)
	require.NoError(t, err)
	return r, data
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// readAll decompresses the whole file with ReadAt in uneven pieces.
func readAll(t testing.TB, r *Reader) []byte {
	t.Helper()
	out := make([]byte, r.Size())
	for off, step := int64(0), 1; off < r.Size(); step = step*7%(300<<10) + 1 {
		n, err := r.ReadAt(out[off:min(off+int64(step), r.Size())], off)
		require.NoError(t, err)
		off += int64(n)
	}
	return out
}

func TestFixturesDecompress(t *testing.T) {
	m, files := zfileFixtures(t)
	for _, f := range files {
		t.Run(f.Rel, func(t *testing.T) {
			r, _ := openFixture(t, m, f.Rel)
			full := readAll(t, r)
			switch {
			case f.DecompressedSHA256 != "":
				assert.Equal(t, f.DecompressedSHA256, sha(full), "decompressed sha256")
			case f.Rel == "A/merged-L012.zfile":
				// The manifest gives no decompressed digest for it, but overlaybd-merge flattened
				// the same stack into A/merged-L012.lsmt with --compress=false.
				f.DecompressedEquals = "A/merged-L012.lsmt"
			default:
				t.Errorf("manifest gives no decompressed_sha256 for %s", f.Rel)
			}
			if f.DecompressedEquals != "" {
				want, err := os.ReadFile(m.Path(f.DecompressedEquals))
				require.NoError(t, err)
				assert.True(t, bytes.Equal(want, full), "differs from %s", f.DecompressedEquals)
			}
			checkRandomReads(t, r, full, 400, 1)
		})
	}
}

// checkRandomReads compares n random ReadAts (any offset, any length, from goroutines at
// once) with want.
func checkRandomReads(t *testing.T, r *Reader, want []byte, n int, seed uint64) {
	t.Helper()
	size := int64(len(want))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			buf := make([]byte, 600<<10)
			for range n / 4 {
				off := rng.Int64N(size + 2)
				var l int
				switch rng.IntN(4) {
				case 0:
					l = rng.IntN(16) // tiny
				case 1:
					l = 4096 // one page, often aligned
					off &^= 4095
				case 2:
					l = rng.IntN(128 << 10)
				default:
					l = rng.IntN(len(buf))
				}
				got, err := r.ReadAt(buf[:l], off)
				wantN := int(max(0, min(int64(l), size-off)))
				if !assert.Equal(t, wantN, got, "ReadAt(%d, %d) count", l, off) {
					return
				}
				if wantN < l {
					assert.ErrorIs(t, err, io.EOF, "ReadAt(%d, %d) past the end", l, off)
				} else {
					assert.NoError(t, err, "ReadAt(%d, %d)", l, off)
				}
				if wantN > 0 && !bytes.Equal(buf[:wantN], want[off:off+int64(wantN)]) {
					t.Errorf("ReadAt(%d, %d): wrong bytes", l, off)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestFixtureRawSamples(t *testing.T) {
	m := fixtures.Load(t)
	n := 0
	for _, fx := range m.Fixtures {
		if fx.Kind != "zfile_raw" {
			continue
		}
		require.Len(t, fx.Layers, 1)
		r, _ := openFixture(t, m, fx.Layers[0].File)
		assert.Equal(t, fx.VirtualSize, r.Size())
		for _, s := range fx.Samples {
			buf := make([]byte, s.Length)
			k, err := r.ReadAt(buf, s.Offset)
			require.NoError(t, err, "%s sample at %d", fx.Name, s.Offset)
			require.Equal(t, int(s.Length), k)
			assert.Equal(t, s.SHA256, sha(buf), "%s sample at %d+%d", fx.Name, s.Offset, s.Length)
			if s.AllZero {
				assert.Equal(t, make([]byte, s.Length), buf)
			}
			n++
		}
		assert.Equal(t, fx.ExpectedSHA256, sha(readAll(t, r)), fx.Name)
	}
	require.NotZero(t, n, "no zfile_raw sample checked")
}

// TestFixtureInfo checks the decoded header and trailer against the manifest's record.
func TestFixtureInfo(t *testing.T) {
	m, files := zfileFixtures(t)
	for _, f := range files {
		t.Run(f.Rel, func(t *testing.T) {
			r, data := openFixture(t, m, f.Rel)
			in := r.Info()
			tr := f.Trailer
			assert.Equal(t, f.Header.Flags, in.HeaderFlags)
			assert.Equal(t, f.Header.Digest, in.HeaderDigest)
			assert.Equal(t, tr.Flags, in.TrailerFlags)
			assert.Equal(t, tr.Digest, in.TrailerDigest)
			assert.Equal(t, f.Header.Flags&flagHeaderOverwrite != 0, in.HeaderOverwritten)
			assert.Equal(t, tr.IndexOffset, in.IndexOffset)
			assert.Equal(t, tr.IndexSize, in.Blocks)
			assert.Equal(t, tr.RawSize, in.Size)
			assert.Equal(t, tr.IndexCRC, in.IndexCRC)
			assert.Equal(t, tr.BlockSize, in.BlockSize)
			assert.Equal(t, tr.Algo, in.Algorithm.String())
			assert.Equal(t, tr.Level, in.Level)
			assert.Equal(t, tr.Verify, in.Verify)
			assert.True(t, in.Digests)
			assert.Equal(t, f.Tar != nil, in.TarWrapped)
			zsize := int64(len(data))
			if f.Tar != nil {
				assert.Equal(t, f.Tar.MemberOffset, in.PayloadOffset)
				zsize = f.Tar.MemberSize
			}
			assert.Equal(t, zsize, in.FileSize)
			assert.Equal(t, in.IndexOffset-htSpace, in.DataSize)
			// The one fixture overlaybd cannot read is the one with a block over 64 KiB.
			if f.OverlaybdReads != nil {
				assert.Equal(t, !*f.OverlaybdReads, in.OverlaybdUnreadable(), "MaxStored %d", in.MaxStored)
			}
			// Two bytes per block plus a u64 per group; groups shrink as blocks grow past 4 KiB.
			perBlock := 10
			if in.BlockSize <= 4096 {
				perBlock = 3
			}
			assert.LessOrEqual(t, in.JumpTableBytes, perBlock*in.Blocks+16, "jump table bytes")
		})
	}
}
