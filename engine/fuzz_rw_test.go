package engine

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dadi-dev/dadi/index"
	"github.com/dadi-dev/dadi/lsmt"
)

// FuzzWritableHeader opens writable layers whose data header, index header and index body are
// fuzzed: an append-only pair (data file of dataLen bytes) or, when the data header says so, a
// sparse file. Whatever opens claims a disk the index can address, keeps only entries inside
// it, and takes writes inside the disk and refuses writes past it, never panicking. The
// headers are given up to the user tag (134 bytes, the rest of the 4 KiB is zero) to keep
// inputs small.
func FuzzWritableHeader(f *testing.F) {
	rw := lsmt.Header{Flags: lsmt.FlagHeader | lsmt.FlagDataFile, VirtualSize: 1 << 20, UUID: lsmt.NullUUID}
	ix := lsmt.Header{Flags: lsmt.FlagHeader, IndexOffset: lsmt.HeaderSize, VirtualSize: 1 << 20, UUID: lsmt.NullUUID}
	sp := lsmt.Header{Flags: lsmt.FlagHeader | lsmt.FlagDataFile | lsmt.FlagSparseRW, VirtualSize: 1 << 20, UUID: lsmt.NullUUID}
	var body [2 * index.EntrySize]byte
	index.NewSegment(0, 1, lsmt.HeaderSize/lsmt.SectorSize, false, 0).Encode(body[:])
	index.NewSegment(4, 2, 0, true, 0).Encode(body[index.EntrySize:])
	f.Add(rw.Marshal()[:134], ix.Marshal()[:134], body[:], uint16(1))
	f.Add(sp.Marshal()[:134], ix.Marshal()[:134], []byte{}, uint16(1))
	rw.VirtualSize = 1 << 62
	f.Add(rw.Marshal()[:134], ix.Marshal()[:134], body[:], uint16(1))
	dir := f.TempDir() // one per worker process, whose inputs run one at a time
	d, i := filepath.Join(dir, "data"), filepath.Join(dir, "index")
	f.Fuzz(func(t *testing.T, dataHead, indexHead, indexBody []byte, dataSectors uint16) {
		if len(dataHead) > lsmt.HeaderSize || len(indexHead) > lsmt.HeaderSize || len(indexBody) > 1<<16 {
			return
		}
		os.Remove(d) // a sparse file from the last input may be large
		db := make([]byte, lsmt.HeaderSize+int(dataSectors%64)*lsmt.SectorSize)
		copy(db, dataHead)
		ib := make([]byte, lsmt.HeaderSize, lsmt.HeaderSize+len(indexBody))
		copy(ib, indexHead)
		ib = append(ib, indexBody...)
		if err := os.WriteFile(d, db, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(i, ib, 0o644); err != nil {
			t.Fatal(err)
		}
		up, err := lsmt.OpenUpper(d, i, true)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		defer up.Close()
		v := up.VirtualSize()
		if v < 0 || v > lsmt.MaxVirtualSize || v%lsmt.SectorSize != 0 {
			t.Fatalf("virtual size %d accepted", v)
		}
		for _, s := range up.Segments() {
			if s.Length() == 0 || s.End() > uint64(v)/lsmt.SectorSize {
				t.Fatalf("kept %v on a disk of %d bytes", s, v)
			}
		}
		p := make([]byte, lsmt.SectorSize)
		if err := up.WriteAt(p, v); err == nil {
			t.Fatalf("write at the end of a %d-byte disk accepted", v)
		}
		if v > 0 && v <= 1<<40 {
			if err := up.WriteAt(p, v-lsmt.SectorSize); err != nil {
				t.Fatalf("write of the last sector of a %d-byte disk: %v", v, err)
			}
		}
	})
}
