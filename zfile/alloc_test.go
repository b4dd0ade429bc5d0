package zfile

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadAtAllocs: a 4 KiB aligned ReadAt allocates nothing, whether it takes a whole block
// (decompressed into the caller's buffer) or part of a larger one (pooled block buffer), for
// both codecs, reading from an *os.File as the engine does.
func TestReadAtAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	src := testData(4<<20, 12)
	for _, alg := range []Algorithm{LZ4, Zstd} {
		for _, bs := range []int{4 << 10, 64 << 10} {
			for _, nv := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/%dk/verify=%v", alg, bs>>10, !nv), func(t *testing.T) {
					z := mustCompress(t, src, Options{Algorithm: alg, BlockSize: bs, NoVerify: nv})
					path := filepath.Join(t.TempDir(), "f.zfile")
					require.NoError(t, os.WriteFile(path, z, 0o600))
					f, err := os.Open(path)
					require.NoError(t, err)
					defer f.Close()
					r, err := Open(f, int64(len(z)), path)
					require.NoError(t, err)
					buf := make([]byte, 4096)
					off := int64(0)
					allocs := testing.AllocsPerRun(500, func() {
						off = (off + 7*4096 + 4096*int64(bs>>12)) % r.Size()
						if _, err := r.ReadAt(buf, off); err != nil {
							t.Fatal(err)
						}
					})
					assert.Zero(t, allocs, "allocations per 4 KiB ReadAt")
				})
			}
		}
	}
}

func TestDecodeAtAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	src := testData(1<<20, 13)
	for _, o := range []Options{{}, {Algorithm: Zstd, BlockSize: 64 << 10}} {
		z := mustCompress(t, src, o)
		r := openBytes(t, z)
		buf := make([]byte, 4096)
		off := int64(0)
		allocs := testing.AllocsPerRun(300, func() {
			off = (off + 5*4096) % r.Size()
			fo, n := r.StoredExtent(off, len(buf))
			if _, err := r.DecodeAt(buf, off, z[fo:fo+int64(n)]); err != nil {
				t.Fatal(err)
			}
		})
		assert.Zero(t, allocs, "%v", o.Algorithm)
	}
}
