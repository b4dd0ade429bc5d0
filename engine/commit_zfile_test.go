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

// TestCommitZFileMatchesOverlaybd: `dadi commit -z [-t]` against `overlaybd-commit -z [-t]`
// (and --algorithm zstd, whose compressor is not overlaybd's libzstd: only the decoded
// content is compared there, in TestCommitWrapped).
func TestCommitZFileMatchesOverlaybd(t *testing.T) {
	m := fixtures.Load(t)
	for _, c := range []struct {
		data, idx, want, uuid, parent string
		tar                           bool
	}{
		{"A/L0.data", "A/L0.index", "A/L0.lz4-4k.zfile", "0bd0f100-0001-4000-8000-000000000000", "", false},
		{"A/L0.data", "A/L0.index", "A/L0.lz4-4k.zfile.tar", "0bd0f100-0001-4000-8000-000000000000", "", true},
		{"A/L2.data", "A/L2.index", "A/L2.lz4-4k.zfile", "0bd0f100-0001-4000-8000-000000000002", "0bd0f100-0001-4000-8000-000000000001", false},
		{"G/L1.data", "G/L1.index", "G/L1.lz4-4k.zfile", "0bd0f100-0007-4000-8000-000000000001", "0bd0f100-0007-4000-8000-000000000000", false},
	} {
		t.Run(c.want, func(t *testing.T) {
			rw, err := lsmt.OpenRW(m.Path(c.data), m.Path(c.idx), false)
			if err != nil {
				t.Fatal(err)
			}
			defer rw.Close()
			out := filepath.Join(t.TempDir(), "out")
			o := lsmt.CommitOptions{UUID: c.uuid, ParentUUID: c.parent, Compress: true, Tar: c.tar, ZFile: zfile.Options{Algorithm: zfile.LZ4}}
			if _, err := lsmt.Commit(rw, out, o); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(out)
			want, _ := os.ReadFile(m.Path(c.want))
			if !bytes.Equal(got, want) {
				t.Fatalf("differs from overlaybd's (%d vs %d bytes, first difference at %d)", len(got), len(want), firstDiff(got, want))
			}
		})
	}
}
