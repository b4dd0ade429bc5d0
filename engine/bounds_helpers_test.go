package engine

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/dadi-dev/dadi/index"
	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/zfile"
)

// memWriterAt is an in-memory io.WriterAt.
type memWriterAt struct{ b []byte }

func (m *memWriterAt) WriteAt(p []byte, off int64) (int, error) {
	if end := int(off) + len(p); end > len(m.b) {
		m.b = append(m.b, make([]byte, end-len(m.b))...)
	}
	copy(m.b[off:], p)
	return len(p), nil
}

// buildLSMT lays out a committed layer by hand: header, data (a multiple of 512 bytes), an
// index of segs (moffsets as given), trailer. vsize goes in both header and trailer.
func buildLSMT(vsize uint64, data []byte, segs []index.Segment) []byte {
	h := lsmt.Header{Flags: lsmt.FlagHeader | lsmt.FlagDataFile | lsmt.FlagSealed, VirtualSize: vsize, UUID: lsmt.NullUUID}
	b := append(h.Marshal(), data...)
	ioff := len(b)
	var e [index.EntrySize]byte
	for _, s := range segs {
		s.Encode(e[:])
		b = append(b, e[:]...)
	}
	h.Flags = lsmt.FlagDataFile | lsmt.FlagSealed
	h.IndexOffset, h.IndexSize = uint64(ioff), uint64(len(segs))
	return append(b, h.Marshal()...)
}

// minimalLayer is the smallest layer with data: one sector mapped at sector 1, one zeroed.
func minimalLayer() []byte {
	data := bytes.Repeat([]byte{0xA5}, lsmt.SectorSize)
	return buildLSMT(8*lsmt.SectorSize, data, []index.Segment{
		index.NewSegment(1, 1, lsmt.HeaderSize/lsmt.SectorSize, false, 0),
		index.NewSegment(3, 2, 0, true, 0),
	})
}

// setTrailerIndex rewrites the trailer's index fields of a plain layer in place.
func setTrailerIndex(b []byte, off, n uint64) {
	t := b[len(b)-lsmt.HeaderSize:]
	binary.LittleEndian.PutUint64(t[32:], off)
	binary.LittleEndian.PutUint64(t[40:], n)
}

// compressLayer wraps an LSMT file in a ZFile.
func compressLayer(t testing.TB, lsmt []byte, o zfile.Options) []byte {
	t.Helper()
	var m memWriterAt
	w, err := zfile.NewWriter(&m, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(lsmt); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return m.b[:w.Size()]
}

// tarLayer wraps b in overlaybd's one-file tar.
func tarLayer(t testing.TB, b []byte) []byte {
	t.Helper()
	var m memWriterAt
	tw := zfile.NewTarWriterAt(&m)
	if _, err := tw.WriteAt(b, 0); err != nil {
		t.Fatal(err)
	}
	if err := tw.Finish(int64(len(b))); err != nil {
		t.Fatal(err)
	}
	return m.b
}

// allocated runs fn and returns the bytes it allocated on the heap.
func allocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}
