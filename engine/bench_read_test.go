package engine

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/zfile"
)

// benchLowerImage is an image of one 16 MiB read-only layer, written in 64 KiB extents of
// half-random data (so compression has work to do) and committed as o says, with no upper:
// reads go through the merged index and the layer file, as a container's image reads do.
func benchLowerImage(b *testing.B, o lsmt.CommitOptions) *Image {
	dir := b.TempDir()
	const size = 16 << 20
	d, i := filepath.Join(dir, "w.data"), filepath.Join(dir, "w.index")
	if err := lsmt.CreateRW(d, i, lsmt.CreateOptions{VirtualSize: size}); err != nil {
		b.Fatal(err)
	}
	rw, err := lsmt.OpenRW(d, i, true)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	p := make([]byte, 64<<10)
	for off := int64(0); off < size; off += int64(len(p)) {
		for k := 0; k < len(p); k += 2 {
			p[k] = byte(r.Uint32())
		}
		if err := rw.WriteAt(p, off); err != nil {
			b.Fatal(err)
		}
	}
	out := filepath.Join(dir, "layer")
	if _, err := lsmt.Commit(rw, out, o); err != nil {
		b.Fatal(err)
	}
	rw.Close()
	l, err := lsmt.OpenLayerFile(out)
	if err != nil {
		b.Fatal(err)
	}
	img, err := NewImage([]*lsmt.ROLayer{l}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return img
}

// BenchmarkImageReadAt4K is engine's read path for one 4 KiB random read: index lookup,
// then the layer file, plain or ZFile (block read, CRC check, decompression).
func BenchmarkImageReadAt4K(b *testing.B) {
	for _, c := range []struct {
		name string
		o    lsmt.CommitOptions
	}{
		{"lsmt", lsmt.CommitOptions{}},
		{"zfile-lz4-4k", lsmt.CommitOptions{Compress: true, ZFile: zfile.Options{Algorithm: zfile.LZ4, BlockSize: 4 << 10}}},
		{"zfile-lz4-64k", lsmt.CommitOptions{Compress: true, ZFile: zfile.Options{Algorithm: zfile.LZ4, BlockSize: 64 << 10}}},
		{"zfile-zstd-16k", lsmt.CommitOptions{Compress: true, ZFile: zfile.Options{Algorithm: zfile.Zstd, BlockSize: 16 << 10}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			img := benchLowerImage(b, c.o)
			defer img.Close()
			buf := make([]byte, 4096)
			r := rand.New(rand.NewPCG(1, 2))
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := img.ReadAt(buf, r.Int64N(img.Size()/4096)*4096); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
