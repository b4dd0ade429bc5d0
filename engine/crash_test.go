package engine

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/dadi-dev/dadi/lsmt"
)

// crashOp is one request applied to a writable layer in the crash tests.
type crashOp struct {
	off  int64
	data []byte // nil: zeroed
	n    int64
}

const crashDisk = 256 << 10

// buildCrashLayer writes ops into a new append-only layer and returns its files.
func buildCrashLayer(t *testing.T, dir string, nops int) (string, string, []crashOp) {
	t.Helper()
	d, i := filepath.Join(dir, "c.data"), filepath.Join(dir, "c.index")
	if err := lsmt.CreateRW(d, i, lsmt.CreateOptions{VirtualSize: crashDisk}); err != nil {
		t.Fatal(err)
	}
	rw, err := lsmt.OpenRW(d, i, true)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(11, 12))
	var ops []crashOp
	for k := 0; k < nops; k++ {
		n := int64(1+r.IntN(16)) * lsmt.SectorSize
		off := r.Int64N((crashDisk-n)/lsmt.SectorSize+1) * lsmt.SectorSize
		op := crashOp{off: off, n: n}
		if k%5 == 3 {
			err = rw.Zero(off, n)
		} else {
			op.data = make([]byte, n)
			for j := range op.data {
				op.data[j] = byte(r.Uint32() | 1) // never zero, so a lost write shows
			}
			err = rw.WriteAt(op.data, off)
		}
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, op)
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	return d, i, ops
}

// expect applies the ops kept[k] says survived.
func expect(ops []crashOp, kept func(k int) bool) []byte {
	m := make([]byte, crashDisk)
	for k, op := range ops {
		if !kept(k) {
			continue
		}
		if op.data == nil {
			clear(m[op.off : op.off+op.n])
		} else {
			copy(m[op.off:], op.data)
		}
	}
	return m
}

// checkCrashed opens the damaged pair (writable, so it also repairs the index), compares the
// disk with want, then appends one more write and reopens to make sure nothing dropped comes
// back once the data file grows past it again.
func checkCrashed(t *testing.T, data, idx string, want []byte, what string) {
	t.Helper()
	rw, err := lsmt.OpenRW(data, idx, true)
	if err != nil {
		t.Fatalf("%s: open: %v", what, err)
	}
	img, err := NewImage(nil, rw)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, crashDisk)
	if _, err := img.ReadAt(got, 0); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: disk differs from the surviving writes at byte %d", what, firstDiff(got, want))
	}
	// Grow the data file well past anything dropped, then reopen.
	big := bytes.Repeat([]byte{0xEE}, 64<<10)
	if _, err := img.WriteAt(big, 0); err != nil {
		t.Fatal(err)
	}
	img.Close()
	copy(want, big)
	rw, err = lsmt.OpenRW(data, idx, false)
	if err != nil {
		t.Fatalf("%s: reopen: %v", what, err)
	}
	img, _ = NewImage(nil, rw)
	defer img.Close()
	if _, err := img.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: after repair and a new write, disk differs at byte %d (a dropped entry came back?)", what, firstDiff(got, want))
	}
	if rw.Dropped != 0 {
		t.Fatalf("%s: %d entries dropped after repair", what, rw.Dropped)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
}

// TestCrashTornIndex cuts or zero-fills the index file at every byte of its last entries.
func TestCrashTornIndex(t *testing.T) {
	dir := t.TempDir()
	data, idx, ops := buildCrashLayer(t, dir, 40)
	st, _ := os.Stat(idx)
	end := st.Size()
	work := t.TempDir()
	wd, wi := filepath.Join(work, "d"), filepath.Join(work, "i")
	for p := end - 4*16; p <= end; p++ {
		orig, _ := os.ReadFile(idx)
		keep := func(k int) bool { return int64(lsmt.HeaderSize+16*(k+1)) <= p }
		// Zeroing from p leaves an entry intact when its bytes from p on were zero already.
		keepZeroed := func(k int) bool {
			e := int64(lsmt.HeaderSize + 16*(k+1))
			return e <= p || allZero(orig[max(p, e-16):e])
		}
		// Cut at p.
		copyFile(t, data, wd)
		copyFile(t, idx, wi)
		if err := os.Truncate(wi, p); err != nil {
			t.Fatal(err)
		}
		checkCrashed(t, wd, wi, expect(ops, keep), "index cut at "+itoa(p))
		// Size kept, but everything from p on never reached the disk (zeros).
		copyFile(t, idx, wi)
		b, _ := os.ReadFile(wi)
		clear(b[p:])
		os.WriteFile(wi, b, 0o644)
		checkCrashed(t, wd, wi, expect(ops, keepZeroed), "index zeroed from "+itoa(p))
		// Garbage (0xFF) over whole trailing entries.
		if (p-lsmt.HeaderSize)%16 == 0 {
			for j := p; j < end; j++ {
				b[j] = 0xFF
			}
			os.WriteFile(wi, b, 0o644)
			checkCrashed(t, wd, wi, expect(ops, keep), "index 0xFF from "+itoa(p))
		}
	}
}

// TestCrashTornData cuts the data file at every byte of its last writes: the entries whose
// data is now beyond its end are dropped, the rest (and every zeroed entry) stays.
func TestCrashTornData(t *testing.T) {
	dir := t.TempDir()
	data, idx, ops := buildCrashLayer(t, dir, 40)
	st, _ := os.Stat(data)
	end := st.Size()
	// Where each op's data ends in the data file.
	ends := make([]int64, len(ops))
	pos := int64(lsmt.HeaderSize)
	for k, op := range ops {
		if op.data != nil {
			pos += op.n
			ends[k] = pos
		}
	}
	work := t.TempDir()
	wd, wi := filepath.Join(work, "d"), filepath.Join(work, "i")
	for p := end - 3*8*lsmt.SectorSize; p <= end; p++ {
		// Every byte next to a sector boundary, a spread of the others (each check syncs
		// files, so all 12 KiB of positions would take a minute).
		if r := p % lsmt.SectorSize; r > 2 && r < lsmt.SectorSize-2 && p%29 != 0 {
			continue
		}
		copyFile(t, data, wd)
		copyFile(t, idx, wi)
		if err := os.Truncate(wd, p); err != nil {
			t.Fatal(err)
		}
		keep := func(k int) bool { return ends[k] <= p/lsmt.SectorSize*lsmt.SectorSize }
		checkCrashed(t, wd, wi, expect(ops, keep), "data cut at "+itoa(p))
	}
}

func itoa(n int64) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int64) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
