package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/dadi-dev/dadi/index"
)

// bytesSource is a layer held in memory.
type bytesSource struct {
	*bytes.Reader
	name string
}

func (b bytesSource) Name() string { return b.name }
func (b bytesSource) Close() error { return nil }

func fuzzSeedLayer(f *testing.F) []byte {
	dir := f.TempDir()
	b, err := os.ReadFile(makeLayer(f, dir))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func FuzzParseHeader(f *testing.F) {
	f.Add(Header{Flags: 7, VirtualSize: 1 << 30, UUID: NullUUID}.Marshal())
	f.Add(Header{Flags: 6, IndexOffset: 8192, IndexSize: 256, VirtualSize: 512, UUID: "0BD0F100-0001-4000-8000-000000000000"}.Marshal()[:512])
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			return
		}
		// What parsed must survive a round trip through Marshal (uuids are at most 36 bytes
		// on the way out and upper-cased).
		h2, err := ParseHeader(h.Marshal())
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
func FuzzOpenLayer(f *testing.F) {
	f.Add(fuzzSeedLayer(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 8<<20 {
			return
		}
		l, err := OpenLayer(bytesSource{bytes.NewReader(b), "fuzz.lsmt"})
		if err != nil {
			return
		}
		segs := l.Index.Segments()
		if _, err := index.NewStatic(segs); err != nil {
			t.Fatal(err)
		}
		for _, s := range segs {
			if s.Zeroed() {
				continue
			}
			p := make([]byte, s.Length()*SectorSize)
			if err := l.ReadAt(p, int64(s.MOffset())*SectorSize); err != nil {
				t.Fatalf("segment %v accepted but unreadable: %v", s, err)
			}
		}
	})
}

// FuzzRWIndex feeds index-file bodies to the append-log parser: what it keeps must be valid
// for a data file of dataSectors and a disk of diskSectors, and never share data.
func FuzzRWIndex(f *testing.F) {
	var seed []byte
	var e [16]byte
	for i, s := range []index.Segment{index.NewSegment(0, 8, 8, false, 0), index.NewSegment(4, 8, 16, false, 0), index.NewSegment(2, 4, 0, true, 0)} {
		s.Encode(e[:])
		seed = append(seed, e[:]...)
		if i == 1 {
			seed = append(seed, 1, 2, 3)
		}
	}
	f.Add(seed, uint64(24), uint64(1<<11))
	f.Fuzz(func(t *testing.T, raw []byte, dataSectors, diskSectors uint64) {
		kept, dropped := parseRWIndex(raw, dataSectors, diskSectors)
		if len(kept)+dropped < len(raw)/16 {
			t.Fatalf("%d kept + %d dropped < %d entries", len(kept), dropped, len(raw)/16)
		}
		used := map[uint64]bool{}
		for _, s := range kept {
			if s.Length() == 0 || s.End() > diskSectors {
				t.Fatalf("kept %v", s)
			}
			if s.Zeroed() {
				continue
			}
			if s.MOffset() < 8 || s.MOffset()+s.Length() > dataSectors {
				t.Fatalf("kept %v outside data of %d sectors", s, dataSectors)
			}
			for m := s.MOffset(); m < s.MOffset()+s.Length(); m++ {
				if used[m] {
					t.Fatalf("kept %v shares data sector %d", s, m)
				}
				used[m] = true
			}
		}
		if _, err := index.NewStatic(index.NewMutable(kept).Snapshot()); err != nil {
			t.Fatal(err)
		}
	})
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
