package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dadi-dev/dadi/index"
	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/zfile"
)

// Opening a hostile layer must fail with ErrCorrupt before anything is sized by its fields.
const maxOpenAlloc = 64 << 20

func TestMinimalLayerOpens(t *testing.T) {
	for name, b := range map[string][]byte{
		"plain": minimalLayer(),
		"zfile": compressLayer(t, minimalLayer(), zfile.Options{}),
		"tar":   tarLayer(t, minimalLayer()),
	} {
		l, err := lsmt.OpenLayer(bytesSource{bytes.NewReader(b), name})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p := make([]byte, 4*lsmt.SectorSize)
		img, err := NewImage([]*lsmt.ROLayer{l}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := img.ReadAt(p, 0); err != nil {
			t.Fatal(err)
		}
		want := append(append(make([]byte, lsmt.SectorSize), bytes.Repeat([]byte{0xA5}, lsmt.SectorSize)...), make([]byte, 2*lsmt.SectorSize)...)
		if !bytes.Equal(p, want) {
			t.Fatalf("%s: read back wrong bytes", name)
		}
		img.Close()
	}
}

// TestOpenLayerIndexWraps: a 12 KiB file whose trailer's index offset plus index size wraps
// past 2^64 (and other index fields the file cannot hold) is refused without allocating.
func TestOpenLayerIndexWraps(t *testing.T) {
	base := buildLSMT(1<<20, make([]byte, lsmt.HeaderSize), nil) // 12 KiB
	for _, c := range []struct {
		name    string
		off, n  uint64
		wantMsg string
	}{
		{"wraps 2^64", 1<<64 - 1<<40 + lsmt.HeaderSize, 1 << 36, "index at offset"},
		{"offset past the end", 1 << 62, 1, "index at offset"},
		{"count past the end", lsmt.HeaderSize, 1 << 40, "index at offset"},
		{"count just too large", lsmt.HeaderSize, lsmt.HeaderSize/index.EntrySize + 1, "index at offset"},
		{"offset inside the header", 512, 1, "index at offset"},
	} {
		b := bytes.Clone(base)
		setTrailerIndex(b, c.off, c.n)
		for _, wrap := range []string{"plain", "tar"} {
			in := b
			if wrap == "tar" {
				in = tarLayer(t, b)
			}
			var err error
			n := allocated(func() { _, err = lsmt.OpenLayer(bytesSource{bytes.NewReader(in), "hostile.lsmt"}) })
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "hostile.lsmt") || !strings.Contains(err.Error(), c.wantMsg) {
				t.Fatalf("%s (%s): err = %v, want ErrCorrupt naming the file and the index", c.name, wrap, err)
			}
			if n > maxOpenAlloc {
				t.Fatalf("%s (%s): open allocated %d bytes", c.name, wrap, n)
			}
		}
	}
	// The largest index the file holds still opens (all padding).
	b := bytes.Clone(base)
	copy(b[lsmt.HeaderSize:], bytes.Repeat(func() []byte { var e [16]byte; index.Padding.Encode(e[:]); return e[:] }(), lsmt.HeaderSize/16))
	setTrailerIndex(b, lsmt.HeaderSize, lsmt.HeaderSize/index.EntrySize)
	if _, err := lsmt.OpenLayer(bytesSource{bytes.NewReader(b), "full.lsmt"}); err != nil {
		t.Fatal(err)
	}
}

// zfileBlock compresses one raw block and returns its stored bytes, and the header and
// trailer of the one-block ZFile it came from.
func zfileBlock(t *testing.T, raw []byte, o zfile.Options) (stored, head, tail []byte) {
	z := compressLayer(t, raw, o)
	tail = z[len(z)-512:]
	ioff := binary.LittleEndian.Uint64(tail[40:])
	return z[512:ioff], z[:512], tail
}

// TestOpenZFileLayerClaimsTooMuch: a 5 MB ZFile of a million blocks claims 64 GiB; its first
// and last blocks are real (the LSMT header, and a trailer whose index spans the whole
// stream), the rest are one byte each. The index must not be sized by the claim.
func TestOpenZFileLayerClaimsTooMuch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 5 MB file")
	}
	const bs = 64 << 10
	const blocks = 1 << 20
	const raw = uint64(blocks) * bs
	o := zfile.Options{Algorithm: zfile.LZ4, BlockSize: bs, NoVerify: true}
	first := make([]byte, bs)
	copy(first, lsmt.Header{Flags: lsmt.FlagHeader | lsmt.FlagDataFile | lsmt.FlagSealed, VirtualSize: raw, UUID: lsmt.NullUUID}.Marshal())
	last := make([]byte, bs)
	tr := lsmt.Header{Flags: lsmt.FlagDataFile | lsmt.FlagSealed, VirtualSize: raw, UUID: lsmt.NullUUID,
		IndexOffset: lsmt.HeaderSize, IndexSize: (raw - 2*lsmt.HeaderSize) / index.EntrySize}
	copy(last[bs-lsmt.HeaderSize:], tr.Marshal())
	b0, head, tail := zfileBlock(t, first, o)
	b1, _, _ := zfileBlock(t, last, o)

	var f bytes.Buffer
	f.Write(head)
	f.Write(b0)
	f.Write(make([]byte, blocks-2)) // one byte per block
	f.Write(b1)
	ioff := uint64(f.Len())
	var l [4]byte
	for i := range blocks {
		n := 1
		switch i {
		case 0:
			n = len(b0)
		case blocks - 1:
			n = len(b1)
		}
		binary.LittleEndian.PutUint32(l[:], uint32(n))
		f.Write(l[:])
	}
	f.Write(tail)
	b := f.Bytes()
	for _, ht := range [][]byte{b[:512], b[len(b)-512:]} {
		le := binary.LittleEndian
		le.PutUint64(ht[32:], le.Uint64(ht[32:])&^(1<<4|1<<3)) // no digests, header not rewritten
		le.PutUint64(ht[40:], ioff)
		le.PutUint64(ht[48:], blocks)
		le.PutUint64(ht[56:], raw)
	}
	if len(b) > 6<<20 {
		t.Fatalf("hostile file is %d bytes", len(b))
	}
	var err error
	n := allocated(func() { _, err = lsmt.OpenLayer(bytesSource{bytes.NewReader(b), "claim.zfile"}) })
	if !errors.Is(err, ErrCorrupt) || !errors.Is(err, zfile.ErrCorrupt) || !strings.Contains(err.Error(), "claim.zfile") {
		t.Fatalf("err = %v, want ErrCorrupt (engine and zfile) naming the file", err)
	}
	if n > maxOpenAlloc {
		t.Fatalf("open allocated %d bytes for a %d-byte file", n, len(b))
	}
	t.Logf("refused after %d bytes allocated: %v", n, err)
}

// patchVirtualSize rewrites the virtual size in the header of a layer file on disk.
func patchVirtualSize(t *testing.T, path string, v uint64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	if _, err := f.WriteAt(b[:], 48); err != nil {
		t.Fatal(err)
	}
}

// TestWritableVirtualSizeLimit: a writable layer claiming more than the index addresses is
// refused at open, append-only and sparse, with the limit in the message; the limit opens.
func TestWritableVirtualSizeLimit(t *testing.T) {
	limit := fmt.Sprint(lsmt.MaxVirtualSize)
	for _, sparse := range []bool{false, true} {
		for _, v := range []uint64{1 << 62, lsmt.MaxVirtualSize + lsmt.SectorSize, 1<<64 - lsmt.SectorSize} {
			dir := t.TempDir()
			d, i := filepath.Join(dir, "d"), filepath.Join(dir, "i")
			if err := lsmt.CreateRW(d, i, lsmt.CreateOptions{VirtualSize: 1 << 20, Sparse: sparse}); err != nil {
				t.Fatal(err)
			}
			patchVirtualSize(t, d, v)
			patchVirtualSize(t, i, v)
			up, err := lsmt.OpenUpper(d, i, true)
			if err == nil {
				up.Close()
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), limit) || !strings.Contains(err.Error(), d) {
				t.Fatalf("sparse %v, virtual size %d: err = %v, want ErrCorrupt naming the file and the limit %s", sparse, v, err, limit)
			}
			if sparse {
				_, err = lsmt.OpenSparse(d, false)
			} else {
				_, err = lsmt.OpenRW(d, i, false)
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("sparse %v: direct open: %v", sparse, err)
			}
		}
		dir := t.TempDir()
		d, i := filepath.Join(dir, "d"), filepath.Join(dir, "i")
		if err := lsmt.CreateRW(d, i, lsmt.CreateOptions{VirtualSize: 1 << 20, Sparse: sparse}); err != nil {
			t.Fatal(err)
		}
		patchVirtualSize(t, d, lsmt.MaxVirtualSize)
		up, err := lsmt.OpenUpper(d, i, true)
		if err != nil {
			t.Fatalf("sparse %v: the limit itself: %v", sparse, err)
		}
		// The last addressable sector takes a write; the one after it is an error.
		p := make([]byte, lsmt.SectorSize)
		if err := up.WriteAt(p, lsmt.MaxVirtualSize-lsmt.SectorSize); err != nil && !sparse {
			t.Fatal(err) // a sparse file system may refuse the offset (EFBIG): an error either way
		}
		if err := up.WriteAt(p, lsmt.MaxVirtualSize); err == nil {
			t.Fatalf("sparse %v: write past the limit accepted", sparse)
		}
		up.Close()
	}
}

// TestCreateVirtualSizeLimit: create refuses a size the index cannot address, naming the limit.
func TestCreateVirtualSizeLimit(t *testing.T) {
	dir := t.TempDir()
	for _, sparse := range []bool{false, true} {
		err := lsmt.CreateRW(filepath.Join(dir, "d"), filepath.Join(dir, "i"), lsmt.CreateOptions{VirtualSize: lsmt.MaxVirtualSize + lsmt.SectorSize, Sparse: sparse})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprint(lsmt.MaxVirtualSize)) {
			t.Fatalf("sparse %v: err = %v, want a refusal naming %d", sparse, err, lsmt.MaxVirtualSize)
		}
		if _, err := os.Stat(filepath.Join(dir, "d")); !os.IsNotExist(err) {
			t.Fatalf("refused create left a file: %v", err)
		}
	}
}

// TestWriteBeyondAddressable: a layer's WriteAt and Zero past its disk return an error; an
// offset past what the index addresses used to panic in index.NewSegment.
func TestWriteBeyondAddressable(t *testing.T) {
	for _, sparse := range []bool{false, true} {
		dir := t.TempDir()
		d, i := filepath.Join(dir, "d"), filepath.Join(dir, "i")
		if err := lsmt.CreateRW(d, i, lsmt.CreateOptions{VirtualSize: 1 << 20, Sparse: sparse}); err != nil {
			t.Fatal(err)
		}
		up, err := lsmt.OpenUpper(d, i, true)
		if err != nil {
			t.Fatal(err)
		}
		p := make([]byte, lsmt.SectorSize)
		for _, off := range []int64{1 << 20, 1 << 60, 1<<63 - lsmt.SectorSize, -lsmt.SectorSize} {
			if err := up.WriteAt(p, off); err == nil {
				t.Fatalf("sparse %v: write at %d accepted", sparse, off)
			}
		}
		switch u := up.(type) {
		case *lsmt.RWLayer:
			if err := u.Zero(1<<60, lsmt.SectorSize); err == nil {
				t.Fatal("zero past the disk accepted")
			}
		case *lsmt.SparseLayer:
			if err := u.PunchHole(1<<60, lsmt.SectorSize); err == nil {
				t.Fatal("punch past the disk accepted")
			}
		}
		if err := up.WriteAt(p, 1<<20-lsmt.SectorSize); err != nil {
			t.Fatalf("sparse %v: last sector: %v", sparse, err)
		}
		up.Close()
	}
}

// TestImageRangeNoWrap: a request whose end overflows int64 is refused, not wrapped.
func TestImageRangeNoWrap(t *testing.T) {
	l, err := lsmt.OpenLayer(bytesSource{bytes.NewReader(minimalLayer()), "m"})
	if err != nil {
		t.Fatal(err)
	}
	img, err := NewImage([]*lsmt.ROLayer{l}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if _, err := img.ReadAt(make([]byte, 1024), 1<<63-512); err == nil {
		t.Fatal("read at 2^63-512 accepted")
	}
}

// TestCommitHugeSparseUpper: a sparse upper claiming 2^62 bytes with data past 2^59 (what a
// tmpfs allows) used to panic index.NewSegment in open, so `dadi commit` and serve died. It
// is refused with ErrCorrupt now.
func TestCommitHugeSparseUpper(t *testing.T) {
	dir, err := os.MkdirTemp("/dev/shm", "dadi-bounds-")
	if err != nil {
		t.Skipf("no tmpfs: %v", err)
	}
	defer os.RemoveAll(dir)
	d, i := filepath.Join(dir, "d"), filepath.Join(dir, "i")
	if err := lsmt.CreateRW(d, i, lsmt.CreateOptions{VirtualSize: 1 << 20, Sparse: true}); err != nil {
		t.Fatal(err)
	}
	patchVirtualSize(t, d, 1<<62)
	f, err := os.OpenFile(d, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteAt(make([]byte, 4096), lsmt.HeaderSize+1<<60)
	f.Close()
	if err != nil {
		t.Skipf("file system refuses data at 2^60: %v", err)
	}
	up, err := lsmt.OpenUpper(d, i, false)
	if err == nil {
		_, err = lsmt.Commit(up, filepath.Join(dir, "out.lsmt"), lsmt.CommitOptions{})
		up.Close()
	}
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprint(lsmt.MaxVirtualSize)) {
		t.Fatalf("err = %v, want ErrCorrupt naming the limit", err)
	}
}

// TestRWIndexReadInChunks: an index file that is mostly a hole (64 MiB long, nothing in it)
// is read in bounded chunks: memory follows the entries kept, not the file's length.
func TestRWIndexReadInChunks(t *testing.T) {
	dir := t.TempDir()
	d, i := filepath.Join(dir, "d"), filepath.Join(dir, "i")
	if err := lsmt.CreateRW(d, i, lsmt.CreateOptions{VirtualSize: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(i, lsmt.HeaderSize+64<<20); err != nil {
		t.Fatal(err)
	}
	var l *lsmt.RWLayer
	var err error
	n := allocated(func() { l, err = lsmt.OpenRW(d, i, false) })
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Dropped != 4<<20 || len(l.Segments()) != 0 {
		t.Fatalf("dropped %d, kept %d: want 4Mi zero entries dropped", l.Dropped, len(l.Segments()))
	}
	if n > 8<<20 {
		t.Fatalf("open allocated %d bytes for an empty index", n)
	}
}
