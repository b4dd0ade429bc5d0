package engine

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/zfile"
)

// TestImportRawFlatten: a raw disk (data, a zero MiB, a tail that is not a sector multiple)
// imported as a layer, plain and compressed, reads back byte for byte, and Flatten writes the
// same bytes (the tail padded with zeros to a sector).
func TestImportRawFlatten(t *testing.T) {
	dir := t.TempDir()
	raw := make([]byte, 3<<20+700)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range raw {
		if i < 1<<20 || i >= 2<<20 {
			raw[i] = byte(r.Uint32())
		}
	}
	base := filepath.Join(dir, "disk.raw")
	if err := os.WriteFile(base, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	want := append(raw, make([]byte, 512-700%512)...)
	for _, o := range []lsmt.CommitOptions{{}, {Compress: true, ZFile: zfile.Options{Algorithm: zfile.LZ4}}} {
		layer := filepath.Join(dir, "layer")
		if err := lsmt.ImportRaw(base, layer, o); err != nil {
			t.Fatal(err)
		}
		cfg := writeFile(t, filepath.Join(dir, "config.v1.json"), `{"lowers":[{"file":"layer"}]}`)
		out := filepath.Join(dir, "flat.raw")
		if err := Flatten(cfg, out); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("compress %v: flattened %d bytes differ from the %d-byte disk at %d", o.Compress, len(got), len(want), firstDiff(got, want))
		}
		if err := Flatten(cfg, layer); err == nil {
			t.Fatal("Flatten over its own layer accepted")
		}
	}
	if err := lsmt.ImportRaw(base, base, lsmt.CommitOptions{}); err == nil {
		t.Fatal("ImportRaw over its own input accepted")
	}
}
