package engine

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dadi-dev/dadi/fetch"
	"github.com/dadi-dev/dadi/internal/atomicfile"
	"github.com/dadi-dev/dadi/internal/fixtures"
	"github.com/dadi-dev/dadi/lsmt"
)

// copyFixtures copies fixture files into dir under the given names, writable.
func copyFixtures(t *testing.T, dir string, names map[string]string) {
	t.Helper()
	m := fixtures.Load(t)
	for name, rel := range names {
		b, err := os.ReadFile(m.Path(rel))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name), string(b))
	}
}

// dirSums is the sha256 of every file in dir, to see that nothing changed or was left there.
func dirSums(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := map[string][32]byte{}
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		s[e.Name()] = sha256.Sum256(b)
	}
	return s
}

func sameSums(t *testing.T, what string, before, after map[string][32]byte) {
	t.Helper()
	if len(before) != len(after) {
		t.Errorf("%s: %d files before, %d after", what, len(before), len(after))
	}
	for name, h := range before {
		if after[name] != h {
			t.Errorf("%s: %s changed", what, name)
		}
	}
}

// TestCommitRefusesItsUpper: Commit into the writable layer's own data or index file (or a
// link to one) is refused with ErrOutputIsInput, for append-only and sparse layers, and the
// layer keeps every byte.
func TestCommitRefusesItsUpper(t *testing.T) {
	dir := t.TempDir()
	copyFixtures(t, dir, map[string]string{"up.data": "A/L2.data", "up.index": "A/L2.index"})
	sd, si := filepath.Join(dir, "sparse.data"), filepath.Join(dir, "sparse.index")
	if err := lsmt.CreateRW(sd, si, lsmt.CreateOptions{VirtualSize: 1 << 20, Sparse: true}); err != nil {
		t.Fatal(err)
	}
	os.Symlink(filepath.Join(dir, "up.index"), filepath.Join(dir, "index.symlink"))
	os.Link(filepath.Join(dir, "up.data"), filepath.Join(dir, "data.hardlink"))
	for _, c := range []struct {
		data, index string
		outs        []string
	}{
		{"up.data", "up.index", []string{"up.data", "up.index", "index.symlink", "data.hardlink"}},
		{"sparse.data", "sparse.index", []string{"sparse.data"}},
	} {
		up, err := lsmt.OpenUpper(filepath.Join(dir, c.data), filepath.Join(dir, c.index), false)
		if err != nil {
			t.Fatal(err)
		}
		for _, out := range c.outs {
			before := dirSums(t, dir)
			_, err := lsmt.Commit(up, filepath.Join(dir, out), lsmt.CommitOptions{})
			if !errors.Is(err, ErrOutputIsInput) || !errors.Is(err, atomicfile.ErrOutputIsInput) {
				t.Errorf("Commit(%s) into %s: %v", c.data, out, err)
			}
			sameSums(t, "Commit into "+out, before, dirSums(t, dir))
		}
		up.Close()
	}
}

// TestMergeRefusesItsLayers: Merge into any lower or upper file of the image, named as the
// config names it (relative to the config's directory), is refused and changes nothing.
func TestMergeRefusesItsLayers(t *testing.T) {
	dir := t.TempDir()
	copyFixtures(t, dir, map[string]string{
		"L0.lsmt": "A/L0.lsmt", "L1.zfile": "A/L1.lz4-4k.zfile", "up.data": "A/L2.data", "up.index": "A/L2.index",
	})
	cfg := writeFile(t, filepath.Join(dir, "config.v1.json"),
		`{"lowers":[{"file":"L0.lsmt"},{"file":"L1.zfile"}],"upper":{"data":"up.data","index":"up.index"}}`)
	img, err := OpenImage(cfg, OpenOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	for _, out := range []string{"L0.lsmt", "L1.zfile", "up.data", "up.index"} {
		before := dirSums(t, dir)
		if _, err := Merge(img, filepath.Join(dir, out), lsmt.CommitOptions{}); !errors.Is(err, ErrOutputIsInput) {
			t.Errorf("Merge into %s: %v", out, err)
		}
		sameSums(t, "Merge into "+out, before, dirSums(t, dir))
	}
	// A fresh output is written, and only it appears.
	before := dirSums(t, dir)
	if _, err := Merge(img, filepath.Join(dir, "merged"), lsmt.CommitOptions{}); err != nil {
		t.Fatal(err)
	}
	after := dirSums(t, dir)
	delete(after, "merged")
	sameSums(t, "Merge into a new file", before, after)
}

// TestConfigFiles: the files a config names are resolved against its directory, a dir lower
// is its kept blob, and ConfigFiles puts the config itself first.
func TestConfigFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "config.v1.json"),
		`{"lowers":[{"file":"a.lsmt"},{"file":"/abs/b.lsmt"},{"dir":"blobs/c","digest":"sha256:00","size":1}],"upper":{"data":"u/data","index":"/i/index"}}`)
	got, err := ConfigFiles(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{cfg, filepath.Join(dir, "a.lsmt"), "/abs/b.lsmt", filepath.Join(dir, "blobs/c", fetch.CommitFileName),
		filepath.Join(dir, "u/data"), "/i/index"}
	if !slices.Equal(got, want) {
		t.Errorf("ConfigFiles = %q, want %q", got, want)
	}
}

// TestResultFileNeverALayer: a config whose resultFile is one of its layers does not get that
// layer overwritten with "success" when the image is opened for serving.
func TestResultFileNeverALayer(t *testing.T) {
	dir := t.TempDir()
	copyFixtures(t, dir, map[string]string{"L0.lsmt": "A/L0.lsmt"})
	cfg := writeFile(t, filepath.Join(dir, "config.v1.json"), `{"lowers":[{"file":"L0.lsmt"}],"resultFile":"L0.lsmt"}`)
	before := dirSums(t, dir)
	img, err := OpenImage(cfg, OpenOptions{})
	if err == nil {
		img.Close()
	}
	if !errors.Is(err, ErrOutputIsInput) {
		t.Errorf("OpenImage: %v", err)
	}
	sameSums(t, "OpenImage", before, dirSums(t, dir))
}

// TestCreateRWOneFile: data and index that are the same file are refused before either is
// created.
func TestCreateRWOneFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "layer")
	for _, idx := range []string{p, filepath.Join(dir, ".", "x", "..", "layer")} {
		if err := lsmt.CreateRW(p, idx, lsmt.CreateOptions{VirtualSize: 1 << 20}); !errors.Is(err, atomicfile.ErrOutputsCollide) {
			t.Errorf("CreateRW(%s, %s): %v", p, idx, err)
		}
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Errorf("left %v", es)
	}
}
