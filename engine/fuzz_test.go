package engine

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/dadi-dev/dadi/index"
	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/zfile"
)

// bytesSource is a layer held in memory.
type bytesSource struct {
	*bytes.Reader
	name string
}

func (b bytesSource) Name() string { return b.name }
func (b bytesSource) Close() error { return nil }

// fuzzSeedLayers are the smallest valid layer, compressed (about a kilobyte each), so that
// mutations land in the ZFile index and the LSMT header, trailer and index rather than in
// kilobytes of zeros, and minimising a new input takes seconds. A plain layer is at least 8
// KiB (two 4 KiB headers): FuzzOpenLayerFields covers plain and tar-wrapped layers by their
// fields instead.
func fuzzSeedLayers(f *testing.F) [][]byte {
	m := minimalLayer()
	return [][]byte{
		compressLayer(f, m, zfile.Options{Algorithm: zfile.LZ4}),
		compressLayer(f, m, zfile.Options{Algorithm: zfile.Zstd, NoVerify: true}),
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add(lsmt.Header{Flags: 7, VirtualSize: 1 << 30, UUID: lsmt.NullUUID}.Marshal())
	f.Add(lsmt.Header{Flags: 6, IndexOffset: 8192, IndexSize: 256, VirtualSize: 512, UUID: "0BD0F100-0001-4000-8000-000000000000"}.Marshal()[:512])
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := lsmt.ParseHeader(b)
		if err != nil {
			return
		}
		// What parsed must survive a round trip through Marshal (uuids are at most 36 bytes
		// on the way out and upper-cased).
		h2, err := lsmt.ParseHeader(h.Marshal())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if h2.Flags != h.Flags || h2.IndexOffset != h.IndexOffset || h2.IndexSize != h.IndexSize || h2.VirtualSize != h.VirtualSize {
			t.Fatalf("round trip %+v -> %+v", h, h2)
		}
	})
}

// FuzzOpenLayer feeds whole layer files to OpenLayer. Whatever opens must be safe to read:
// every data segment lies inside the file, sorted and non-overlapping.
//
// The input is a ZFile cut in three: the used 96 bytes of its header, the blocks and index,
// the used 96 bytes of its trailer (each header is padded back to 512 bytes); tar wraps it.
// Go minimises every new input for up to a minute, in time that grows with the square of an
// argument's length: short arguments keep that to seconds, so the fuzzer goes on exploring.
func FuzzOpenLayer(f *testing.F) {
	const used, space = 96, 512
	for _, b := range fuzzSeedLayers(f) {
		f.Add(b[:used], b[space:len(b)-space], b[len(b)-space:len(b)-space+used], false)
		f.Add(b[:used], b[space:len(b)-space], b[len(b)-space:len(b)-space+used], true)
	}
	f.Fuzz(func(t *testing.T, head, body, tail []byte, tar bool) {
		if len(head) > space || len(tail) > space || len(body) > 1<<20 {
			return
		}
		b := make([]byte, 0, 2*space+len(body))
		b = append(append(b, head...), make([]byte, space-len(head))...)
		b = append(append(b, body...), tail...)
		b = append(b, make([]byte, space-len(tail))...)
		if tar {
			b = tarLayer(t, b)
		}
		checkOpenLayer(t, b)
	})
}

// FuzzOpenLayerFields builds a layer from its fields: header and trailer flags, the trailer's
// index offset and count, the virtual size, the bytes between header and trailer, and a
// wrapping (plain, tar, ZFile, tar of ZFile). The integers are mutated as integers, so the
// bounds arithmetic meets values near 2^64 at once.
func FuzzOpenLayerFields(f *testing.F) {
	m := minimalLayer()
	body := m[lsmt.HeaderSize : len(m)-lsmt.HeaderSize]
	ioff := uint64(len(m) - lsmt.HeaderSize - 2*index.EntrySize)
	for wrap := range uint8(4) {
		f.Add(uint32(7), uint32(6), ioff, uint64(2), uint64(8*lsmt.SectorSize), body, wrap)
	}
	f.Add(uint32(3), uint32(6), uint64(1<<64-1<<40+lsmt.HeaderSize), uint64(1<<36), uint64(1<<20), make([]byte, lsmt.HeaderSize), uint8(0))
	f.Fuzz(func(t *testing.T, hflags, tflags uint32, ioff, isize, vsize uint64, body []byte, wrap uint8) {
		if len(body) > 1<<20 {
			return
		}
		h := lsmt.Header{Flags: hflags, VirtualSize: vsize, UUID: lsmt.NullUUID}
		b := append(h.Marshal(), body...)
		h.Flags, h.IndexOffset, h.IndexSize = tflags, ioff, isize
		b = append(b, h.Marshal()...)
		if wrap&2 != 0 {
			b = compressLayer(t, b, zfile.Options{Algorithm: zfile.LZ4})
		}
		if wrap&1 != 0 {
			b = tarLayer(t, b)
		}
		checkOpenLayer(t, b)
	})
}

// checkOpenLayer opens b; whatever opens must be safe to read: every data segment lies inside
// the file, sorted and non-overlapping, inside the disk the layer claims. What fails must be
// ErrCorrupt or ErrNotSupported.
func checkOpenLayer(t *testing.T, b []byte) {
	l, err := lsmt.OpenLayer(bytesSource{bytes.NewReader(b), "fuzz.lsmt"})
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotSupported) && !errors.Is(err, zfile.ErrNotSupported) {
			t.Fatalf("error of no known kind: %v", err)
		}
		return
	}
	if l.VirtualSize() > lsmt.MaxVirtualSize {
		t.Fatalf("virtual size %d accepted", l.VirtualSize())
	}
	segs := l.Index.Segments()
	if _, err := index.NewStatic(segs); err != nil {
		t.Fatal(err)
	}
	for _, s := range segs {
		if s.Zeroed() {
			continue
		}
		p := make([]byte, s.Length()*lsmt.SectorSize)
		if err := l.ReadAt(p, int64(s.MOffset())*lsmt.SectorSize); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("segment %v accepted but unreadable: %v", s, err)
		} else if err != nil && l.ZFile == nil {
			t.Fatalf("segment %v of a plain layer accepted but unreadable: %v", s, err)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"repoBlobUrl":"https://r/v2/x/blobs","lowers":[{"file":"/a.lsmt"},{"dir":"/d","digest":"sha256:00","size":10}],"upper":{"index":"/i","data":"/d"},"resultFile":"/r","download":{"enable":false},"accelerationLayer":true,"recordTracePath":"/t"}`))
	f.Add([]byte(`{"lowers":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b, "fuzz.json")
		if err != nil {
			return
		}
		if len(c.Lowers) > MaxLayers || (len(c.Lowers) == 0 && c.Upper == nil) {
			t.Fatalf("accepted %d lowers, upper %v", len(c.Lowers), c.Upper)
		}
		for i := range c.Lowers {
			c.Dir = filepath.Join(t.TempDir(), "none")
			if _, err := c.LowerPath(i); err != nil && c.Lowers[i].File != "" {
				t.Fatalf("lower with a file: %v", err)
			}
		}
	})
}
