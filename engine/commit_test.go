package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/dadi-dev/dadi/internal/fixtures"
	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/zfile"
)

// TestCommitMatchesOverlaybd commits the fixtures' writable layers with the uuids given to
// overlaybd-commit and expects overlaybd's committed file byte for byte: same packing order,
// same entry merging, same zeroed-entry moffsets, same padding, header and trailer.
func TestCommitMatchesOverlaybd(t *testing.T) {
	m := fixtures.Load(t)
	for _, c := range []struct{ data, idx, want, uuid, parent string }{
		{"A/L0.data", "A/L0.index", "A/L0.lsmt", "0bd0f100-0001-4000-8000-000000000000", ""},
		{"A/L2.data", "A/L2.index", "A/L2.lsmt", "0bd0f100-0001-4000-8000-000000000002", "0bd0f100-0001-4000-8000-000000000001"},
		{"G/L0.data", "G/L0.index", "G/L0.lsmt", "0bd0f100-0007-4000-8000-000000000000", ""},
		{"G/L1.data", "G/L1.index", "G/L1.lsmt", "0bd0f100-0007-4000-8000-000000000001", "0bd0f100-0007-4000-8000-000000000000"},
	} {
		t.Run(c.want, func(t *testing.T) {
			rw, err := lsmt.OpenRW(m.Path(c.data), m.Path(c.idx), false)
			if err != nil {
				t.Fatal(err)
			}
			defer rw.Close()
			if rw.Dropped != 0 {
				t.Fatalf("%d entries dropped from an intact layer", rw.Dropped)
			}
			out := filepath.Join(t.TempDir(), "out.lsmt")
			if _, err := lsmt.Commit(rw, out, lsmt.CommitOptions{UUID: c.uuid, ParentUUID: c.parent}); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(out)
			want, err := os.ReadFile(m.Path(c.want))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("commit differs from overlaybd's %s (%d vs %d bytes, first difference at %d)", c.want, len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

// TestMergeMatchesOverlaybd flattens L0+L1(zfile)+L2 as overlaybd-merge --compress=false did.
func TestMergeMatchesOverlaybd(t *testing.T) {
	m := fixtures.Load(t)
	img := openPaths(t, m, "A/L0.lsmt", "A/L1.lz4-4k.zfile", "A/L2.lsmt")
	defer img.Close()
	out := filepath.Join(t.TempDir(), "merged.lsmt")
	if _, err := Merge(img, out, lsmt.CommitOptions{}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	want, _ := os.ReadFile(m.Path("A/merged-L012.lsmt"))
	if !bytes.Equal(got, want) {
		t.Fatalf("merge differs from overlaybd's (%d vs %d bytes, first difference at %d)", len(got), len(want), firstDiff(got, want))
	}
}

// TestCommitWrapped commits to ZFile (lz4, zstd) and to tar(ZFile) and reads the results back
// through OpenLayer: same index, same data as the plain commit.
func TestCommitWrapped(t *testing.T) {
	m := fixtures.Load(t)
	rw, err := lsmt.OpenRW(m.Path("A/L0.data"), m.Path("A/L0.index"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.lsmt")
	if _, err := lsmt.Commit(rw, plain, lsmt.CommitOptions{UUID: "0bd0f100-0001-4000-8000-000000000000"}); err != nil {
		t.Fatal(err)
	}
	wantBytes, _ := os.ReadFile(plain)
	for name, o := range map[string]lsmt.CommitOptions{
		"lz4.zfile":      {Compress: true},
		"zstd16k.zfile":  {Compress: true, ZFile: zfile.Options{Algorithm: zfile.Zstd, BlockSize: 16 << 10}},
		"lz4.zfile.tar":  {Compress: true, Tar: true},
		"plain.lsmt.tar": {Tar: true},
	} {
		o.UUID = "0bd0f100-0001-4000-8000-000000000000"
		p := filepath.Join(dir, name)
		if _, err := lsmt.Commit(rw, p, o); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		l, err := lsmt.OpenLayerFile(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := make([]byte, l.Size())
		if err := l.ReadAt(got, 0); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, wantBytes) {
			t.Errorf("%s: unwrapped LSMT differs from the plain commit at %d", name, firstDiff(got, wantBytes))
		}
		if l.Tar != o.Tar || (l.ZFile != nil) != o.Compress {
			t.Errorf("%s: tar %v zfile %v", name, l.Tar, l.ZFile != nil)
		}
		l.Close()
	}
	// overlaybd's own -z output decompresses to the same LSMT bytes as its plain commit.
	l, err := lsmt.OpenLayerFile(m.Path("A/L0.lz4-4k.zfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make([]byte, l.Size())
	if err := l.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, wantBytes) {
		t.Errorf("overlaybd's L0.lz4-4k.zfile content differs from our commit at %d", firstDiff(got, wantBytes))
	}
}

func openPaths(t testing.TB, m *fixtures.Manifest, files ...string) *Image {
	t.Helper()
	var lowers []*lsmt.ROLayer
	for _, f := range files {
		l, err := lsmt.OpenLayerFile(m.Path(f))
		if err != nil {
			t.Fatal(err)
		}
		lowers = append(lowers, l)
	}
	img, err := NewImage(lowers, nil)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
