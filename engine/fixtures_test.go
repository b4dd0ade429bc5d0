package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dadi-dev/dadi/index"
	"github.com/dadi-dev/dadi/internal/fixtures"
	"github.com/dadi-dev/dadi/lsmt"
)

// openFixture stacks a fixture's layers (and its writable upper, opened read-only).
func openFixture(t testing.TB, m *fixtures.Manifest, f fixtures.Fixture) *Image {
	t.Helper()
	var lowers []*lsmt.ROLayer
	for _, l := range f.Layers {
		rl, err := lsmt.OpenLayerFile(m.Path(l.File))
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		lowers = append(lowers, rl)
	}
	var up lsmt.Upper
	if f.Upper != nil {
		var err error
		up, err = lsmt.OpenUpper(m.Path(f.Upper.Data.File), m.Path(f.Upper.Index.File), false)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
	}
	img, err := NewImage(lowers, up)
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return img
}

var zeroMiB = make([]byte, 1<<20)

// hashImage hashes the whole disk. Ranges no layer maps are fed to the hash from a shared
// zero buffer without being read, so the 1 GiB fixtures (32 MiB of data) hash quickly.
func hashImage(t testing.TB, img *Image) string {
	t.Helper()
	h := sha256.New()
	var exts []index.Extent
	buf := make([]byte, 1<<20)
	for off := int64(0); off < img.Size(); off += int64(len(buf)) {
		n := min(int64(len(buf)), img.Size()-off)
		if img.unmapped(uint64(off)/lsmt.SectorSize, uint64(n)/lsmt.SectorSize, &exts) {
			writeZeros(h, n)
			continue
		}
		if _, err := img.ReadAt(buf[:n], off); err != nil {
			t.Fatalf("read %d: %v", off, err)
		}
		h.Write(buf[:n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// unmapped reports whether no layer maps any sector of the range.
func (img *Image) unmapped(sec, n uint64, exts *[]index.Extent) bool {
	if img.upper != nil {
		*exts = img.upper.Lookup(sec, n, (*exts)[:0])
		if len(*exts) != 1 || (*exts)[0].Kind != index.Unmapped {
			return false
		}
	}
	*exts = img.merged.Lookup(sec, n, (*exts)[:0])
	return len(*exts) == 1 && (*exts)[0].Kind == index.Unmapped
}

func writeZeros(h hash.Hash, n int64) {
	for n > 0 {
		k := min(n, int64(len(zeroMiB)))
		h.Write(zeroMiB[:k])
		n -= k
	}
}

func TestFixtures(t *testing.T) {
	m := fixtures.Load(t)
	for _, f := range m.Fixtures {
		t.Run(f.Name, func(t *testing.T) {
			if f.Kind != "lsmt_stack" {
				t.Skipf("kind %s: a raw ZFile is not an LSMT layer (covered by zfile tests)", f.Kind)
			}
			img := openFixture(t, m, f)
			defer img.Close()
			if img.Size() != f.VirtualSize {
				t.Fatalf("size %d, want %d", img.Size(), f.VirtualSize)
			}
			if got := hashImage(t, img); got != f.ExpectedSHA256 {
				t.Fatalf("disk sha256 %s, want %s", got, f.ExpectedSHA256)
			}
			for _, s := range f.Samples {
				buf := make([]byte, s.Length)
				if _, err := img.ReadAt(buf, s.Offset); err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(buf)
				if got := hex.EncodeToString(sum[:]); got != s.SHA256 {
					t.Errorf("sample [%d,+%d) sha256 %s, want %s", s.Offset, s.Length, got, s.SHA256)
				}
				if len(buf) >= 16 && s.First16 != "" && hex.EncodeToString(buf[:16]) != s.First16 {
					t.Errorf("sample %d first16 %x, want %s", s.Offset, buf[:16], s.First16)
				}
			}
		})
	}
}

// TestFixtureConfig reads one fixture through the image a config.v1.json describes.
func TestFixtureConfig(t *testing.T) {
	m := fixtures.Load(t)
	dir := t.TempDir()
	cfg := `{"lowers":[{"file":"` + m.Path("A/L0.lsmt") + `"},{"file":"` + m.Path("A/L1.lz4-4k.zfile") + `"}],
		"upper":{"data":"` + m.Path("A/L2.data") + `","index":"` + m.Path("A/L2.index") + `"},
		"resultFile":"result"}`
	p := writeFile(t, filepath.Join(dir, "config.v1.json"), cfg)
	img, err := OpenImage(p, OpenOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	for _, f := range m.Fixtures {
		if f.Name == "A-lsmt-L0-L1+rwL2" {
			if got := hashImage(t, img); got != f.ExpectedSHA256 {
				t.Fatalf("sha256 %s, want %s", got, f.ExpectedSHA256)
			}
			return
		}
	}
	t.Fatal("fixture A-lsmt-L0-L1+rwL2 not in the manifest")
}

// TestFixtureLayerHeaders compares what OpenLayer decodes with the manifest's parsed trailer.
func TestFixtureLayerHeaders(t *testing.T) {
	m := fixtures.Load(t)
	for name := range m.Files {
		if !strings.HasSuffix(name, ".lsmt") && !strings.HasSuffix(name, ".sealed") {
			continue
		}
		l, err := lsmt.OpenLayerFile(m.Path(name))
		if err != nil {
			t.Fatal(err)
		}
		rec := fileRecord(t, m, name)
		tr := rec.Trailer
		if l.Trailer.IndexOffset != tr.IndexOffset || l.Trailer.IndexSize != tr.IndexSize || l.Trailer.VirtualSize != tr.VirtualSize ||
			l.Trailer.UUID != tr.UUID || l.Trailer.ParentUUID != tr.ParentUUID || l.Trailer.Flags != tr.Flags {
			t.Errorf("%s: trailer %+v, manifest %+v", name, l.Trailer, tr)
		}
		l.Close()
	}
}
