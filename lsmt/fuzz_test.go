package lsmt

import (
	"testing"

	"github.com/dadi-dev/dadi/index"
)

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
