package engine

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/dadi-dev/dadi/lsmt"
)

// allocImage is a committed lower with a fresh append-only upper over it.
func allocImage(t testing.TB) (*Image, *Session) {
	dir := t.TempDir()
	lower := makeLayer(t, dir)
	d, i := filepath.Join(dir, "u.data"), filepath.Join(dir, "u.index")
	if err := lsmt.CreateRW(d, i, lsmt.CreateOptions{VirtualSize: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	l, err := lsmt.OpenLayerFile(lower)
	if err != nil {
		t.Fatal(err)
	}
	up, err := lsmt.OpenUpper(d, i, true)
	if err != nil {
		t.Fatal(err)
	}
	img, err := NewImage([]*lsmt.ROLayer{l}, up)
	if err != nil {
		t.Fatal(err)
	}
	return img, img.NewSession()
}

// TestIOPathAllocs: a session's reads and writes and the image's discards, write-zeroes and
// flushes (what a ublk queue does, targets/image) allocate nothing.
func TestIOPathAllocs(t *testing.T) {
	img, s := allocImage(t)
	defer img.Close()
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 64<<10)
	do := func(op string) {
		n := int64(1+r.IntN(16)) * 4096
		off := r.Int64N((1<<20-n)/lsmt.SectorSize+1) * lsmt.SectorSize
		var err error
		switch op {
		case "read":
			_, err = s.ReadAt(buf[:n], off)
		case "write":
			_, err = s.WriteAt(buf[:n], off)
		case "discard", "write-zeroes":
			err = img.Zero(off, n)
		case "flush":
			err = img.Flush()
		}
		if err != nil {
			t.Fatalf("%v: %v", op, err)
		}
	}
	// Warm up: the upper's index reaches its steady size (it grows by doubling).
	for range 3000 {
		do("write")
		do("discard")
	}
	for _, op := range []string{"read", "write", "discard", "write-zeroes", "flush"} {
		if n := testing.AllocsPerRun(500, func() { do(op) }); n != 0 {
			t.Errorf("%v allocates %v times per request", op, n)
		}
	}
}

func BenchmarkImageRead4K(b *testing.B) {
	img, s := allocImage(b)
	defer img.Close()
	buf := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		img.WriteAt(buf, r.Int64N(1<<20/4096)*4096)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.ReadAt(buf, r.Int64N(1<<20/4096)*4096)
	}
}

func BenchmarkImageWrite4K(b *testing.B) {
	img, s := allocImage(b)
	defer img.Close()
	buf := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for b.Loop() {
		s.WriteAt(buf, r.Int64N(1<<20/4096)*4096)
	}
}
