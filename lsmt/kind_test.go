package lsmt

import (
	"path/filepath"
	"testing"
)

// TestKind: the header flags tell the three layer kinds apart, sealed winning over sparse,
// and FileKind reads them from a file CreateRW made.
func TestKind(t *testing.T) {
	dir := t.TempDir()
	for _, sparse := range []bool{false, true} {
		sub := t.TempDir()
		data, idx := filepath.Join(sub, "data"), filepath.Join(sub, "index")
		if err := CreateRW(data, idx, CreateOptions{VirtualSize: 1 << 20, Sparse: sparse}); err != nil {
			t.Fatal(err)
		}
		want := map[bool]Kind{false: KindAppendOnly, true: KindSparse}[sparse]
		if k, err := FileKind(data); err != nil || k != want {
			t.Errorf("sparse %v: FileKind %v, %v; want %v", sparse, k, err, want)
		}
	}
	if _, err := FileKind(filepath.Join(dir, "missing")); err == nil {
		t.Error("FileKind of a missing file succeeded")
	}
	for _, c := range []struct {
		flags uint32
		want  Kind
	}{
		{FlagHeader | FlagDataFile, KindAppendOnly},
		{FlagHeader | FlagDataFile | FlagSparseRW, KindSparse},
		{FlagHeader | FlagDataFile | FlagSealed, KindReadOnly},
		{FlagHeader | FlagDataFile | FlagSealed | FlagSparseRW, KindReadOnly},
	} {
		if got := (Header{Flags: c.flags}).Kind(); got != c.want {
			t.Errorf("flags %#x: kind %v, want %v", c.flags, got, c.want)
		}
	}
}
