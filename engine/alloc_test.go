package engine

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/ublk"
)

// allocImage is a committed lower with a fresh append-only upper over it.
func allocImage(t testing.TB) (*Image, ublk.QueueTarget) {
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
	q, _ := img.NewQueue(nil)
	return img, q
}

// TestIOPathAllocs: a queue's reads, writes, discards and flushes allocate nothing.
func TestIOPathAllocs(t *testing.T) {
	img, q := allocImage(t)
	defer img.Close()
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 64<<10)
	req := &ublk.Request{}
	do := func(op ublk.Op) {
		req.Op = op
		req.Length = uint32(1+r.IntN(16)) * 4096
		req.Offset = r.Int64N((1<<20-int64(req.Length))/lsmt.SectorSize+1) * lsmt.SectorSize
		req.Buf = buf[:req.Length]
		if res, _ := q.Handle(0, req); res < 0 {
			t.Fatalf("%v: %d", op, res)
		}
	}
	// Warm up: the upper's index reaches its steady size (it grows by doubling).
	for range 3000 {
		do(ublk.OpWrite)
		do(ublk.OpDiscard)
	}
	for _, op := range []ublk.Op{ublk.OpRead, ublk.OpWrite, ublk.OpDiscard, ublk.OpWriteZeroes, ublk.OpFlush} {
		if n := testing.AllocsPerRun(500, func() { do(op) }); n != 0 {
			t.Errorf("%v allocates %v times per request", op, n)
		}
	}
}

func BenchmarkImageRead4K(b *testing.B) {
	img, q := allocImage(b)
	defer img.Close()
	buf := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		img.WriteAt(buf, r.Int64N(1<<20/4096)*4096)
	}
	req := &ublk.Request{Op: ublk.OpRead, Length: 4096, Buf: buf}
	b.ReportAllocs()
	for b.Loop() {
		req.Offset = r.Int64N(1<<20/4096) * 4096
		q.Handle(0, req)
	}
}

func BenchmarkImageWrite4K(b *testing.B) {
	img, q := allocImage(b)
	defer img.Close()
	buf := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	req := &ublk.Request{Op: ublk.OpWrite, Length: 4096, Buf: buf}
	b.ReportAllocs()
	for b.Loop() {
		req.Offset = r.Int64N(1<<20/4096) * 4096
		q.Handle(0, req)
	}
}
