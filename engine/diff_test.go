package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/zfile"
)

// diffRun drives an Image with random writes, discards, write-zeroes, flushes and reads and
// checks every read against a plain byte array. Every so often it commits the upper (plain or
// compressed), restacks the result as a new lower under a fresh upper, or closes and reopens
// the image, and goes on.
type diffRun struct {
	t       *testing.T
	r       *rand.Rand
	dir     string
	size    int64
	sparse  bool
	model   []byte
	lowers  []string
	upper   [2]string
	img     *Image
	s       *Session // the I/O path a ublk queue uses (targets/image)
	gen     int
	commits int
}

func (d *diffRun) newUpper() {
	d.gen++
	d.upper = [2]string{filepath.Join(d.dir, fmt.Sprintf("u%d.data", d.gen)), filepath.Join(d.dir, fmt.Sprintf("u%d.index", d.gen))}
	if err := lsmt.CreateRW(d.upper[0], d.upper[1], lsmt.CreateOptions{VirtualSize: d.size, Sparse: d.sparse}); err != nil {
		d.t.Fatal(err)
	}
}

func (d *diffRun) open() {
	var lowers []*lsmt.ROLayer
	for _, p := range d.lowers {
		l, err := lsmt.OpenLayerFile(p)
		if err != nil {
			d.t.Fatal(err)
		}
		lowers = append(lowers, l)
	}
	up, err := lsmt.OpenUpper(d.upper[0], d.upper[1], true)
	if err != nil {
		d.t.Fatal(err)
	}
	if d.img, err = NewImage(lowers, up); err != nil {
		d.t.Fatal(err)
	}
	d.s = d.img.NewSession()
}

func (d *diffRun) close() {
	if err := d.img.Close(); err != nil {
		d.t.Fatal(err)
	}
}

func (d *diffRun) commit() {
	d.commits++
	out := filepath.Join(d.dir, fmt.Sprintf("c%d.lsmt", d.gen))
	o := lsmt.CommitOptions{UUID: lsmt.NewUUID()}
	switch d.r.IntN(3) {
	case 1:
		o.Compress = true
	case 2:
		o.Compress, o.Tar, o.ZFile = true, true, zfile.Options{Algorithm: zfile.Zstd, BlockSize: 16 << 10}
	}
	if _, err := lsmt.Commit(d.img.UpperLayer(), out, o); err != nil {
		d.t.Fatal(err)
	}
	d.close()
	d.lowers = append(d.lowers, out)
	d.newUpper()
	d.open()
}

// extent picks a sector-aligned range, biased to short ones and to the disk's edges.
func (d *diffRun) extent() (int64, int64) {
	secs := d.size / lsmt.SectorSize
	n := int64(1 + d.r.IntN(16))
	if d.r.IntN(4) == 0 {
		n = int64(1 + d.r.IntN(512))
	}
	n = min(n, secs)
	off := d.r.Int64N(secs - n + 1)
	if d.r.IntN(20) == 0 {
		off = secs - n
	}
	return off * lsmt.SectorSize, n * lsmt.SectorSize
}

func (d *diffRun) step(i int) {
	off, n := d.extent()
	switch k := d.r.IntN(20); {
	case k < 8: // write
		buf := make([]byte, n)
		for j := range buf {
			buf[j] = byte(d.r.Uint32())
		}
		if w, err := d.s.WriteAt(buf, off); err != nil || w != int(n) {
			d.t.Fatalf("op %d: write [%d,+%d): %d, %v", i, off, n, w, err)
		}
		copy(d.model[off:], buf)
	case k < 10: // discard / write-zeroes: both are Zero, as targets/image serves them
		what := "discard"
		if k == 9 {
			what = "write-zeroes"
		}
		if err := d.img.Zero(off, n); err != nil {
			d.t.Fatalf("op %d: %s [%d,+%d): %v", i, what, off, n, err)
		}
		clear(d.model[off : off+n])
	case k == 10 && d.r.IntN(8) == 0:
		if err := d.img.Flush(); err != nil {
			d.t.Fatalf("flush: %v", err)
		}
	default: // read
		buf := make([]byte, n)
		if r, err := d.s.ReadAt(buf, off); err != nil || r != int(n) {
			d.t.Fatalf("op %d: read [%d,+%d): %d, %v", i, off, n, r, err)
		}
		if !bytes.Equal(buf, d.model[off:off+n]) {
			d.t.Fatalf("op %d (gen %d): read [%d,+%d) differs from the model at byte %d", i, d.gen, off, n, firstDiff(buf, d.model[off:off+n]))
		}
	}
}

func (d *diffRun) checkAll() {
	buf := make([]byte, d.size)
	if _, err := d.img.ReadAt(buf, 0); err != nil {
		d.t.Fatal(err)
	}
	if !bytes.Equal(buf, d.model) {
		d.t.Fatalf("gen %d: disk differs from the model at byte %d", d.gen, firstDiff(buf, d.model))
	}
}

func TestDifferential(t *testing.T) {
	ops := 4000
	if testing.Short() {
		ops = 1000
	}
	for _, sparse := range []bool{false, true} {
		for seed := uint64(1); seed <= 4; seed++ {
			t.Run(fmt.Sprintf("sparse=%v/seed=%d", sparse, seed), func(t *testing.T) {
				d := &diffRun{t: t, r: rand.New(rand.NewPCG(seed, 77)), dir: t.TempDir(), size: 2 << 20, sparse: sparse}
				d.model = make([]byte, d.size)
				d.newUpper()
				d.open()
				for i := 0; i < ops; i++ {
					d.step(i)
					switch d.r.IntN(400) {
					case 0:
						d.checkAll()
						d.commit()
						d.checkAll()
					case 1:
						d.close()
						d.open()
						d.checkAll()
					}
				}
				d.checkAll()
				d.close()
				t.Logf("%d ops, %d commits, %d lowers", ops, d.commits, len(d.lowers))
			})
		}
	}
}
