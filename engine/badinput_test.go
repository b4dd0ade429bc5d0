package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dadi-dev/dadi/index"
	"github.com/dadi-dev/dadi/lsmt"
)

// makeLayer writes a small committed layer with a few data extents and a zeroed one.
func makeLayer(t testing.TB, dir string) string {
	t.Helper()
	d, i := filepath.Join(dir, "w.data"), filepath.Join(dir, "w.index")
	if err := lsmt.CreateRW(d, i, lsmt.CreateOptions{VirtualSize: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	rw, err := lsmt.OpenRW(d, i, true)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	for k, off := range []int64{0, 8192, 65536, 300 << 10} {
		p := make([]byte, 4096)
		for j := range p {
			p[j] = byte(k + 1)
		}
		if err := rw.WriteAt(p, off); err != nil {
			t.Fatal(err)
		}
	}
	if err := rw.Zero(16384, 4096); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "layer.lsmt")
	if _, err := lsmt.Commit(rw, out, lsmt.CommitOptions{UUID: "0bd0f100-0000-4000-8000-00000000000a"}); err != nil {
		t.Fatal(err)
	}
	return out
}

// editLayer rewrites a copy of a layer file with edit applied; edit gets the whole file and
// the trailer's index offset.
func editLayer(t *testing.T, src, dst string, edit func(b []byte, idx int) []byte) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	idx := int(binary.LittleEndian.Uint64(b[len(b)-lsmt.HeaderSize+32:]))
	b = edit(b, idx)
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

func entry(b []byte, idx, n int) index.Segment       { return index.Decode(b[idx+n*16:]) }
func setEntry(b []byte, idx, n int, s index.Segment) { s.Encode(b[idx+n*16:]) }

func TestOpenLayerRejects(t *testing.T) {
	dir := t.TempDir()
	good := makeLayer(t, dir)
	if l, err := lsmt.OpenLayerFile(good); err != nil {
		t.Fatal(err)
	} else {
		l.Close()
	}
	cases := map[string]struct {
		edit func(b []byte, idx int) []byte
		want string
	}{
		"bad magic":       {func(b []byte, idx int) []byte { b[0] = 'X'; return b }, "bad LSMT magic"},
		"bad struct size": {func(b []byte, idx int) []byte { b[24] = 1; return b }, "struct size"},
		"trailer missing": {func(b []byte, idx int) []byte { return b[:len(b)-lsmt.HeaderSize] }, "trailer"},
		"trailer flags":   {func(b []byte, idx int) []byte { b[len(b)-lsmt.HeaderSize+28] = 0x2; return b }, "flags"},
		"index beyond file": {func(b []byte, idx int) []byte {
			binary.LittleEndian.PutUint64(b[len(b)-lsmt.HeaderSize+32:], uint64(len(b)))
			return b
		}, "outside the data area"},
		"index too long": {func(b []byte, idx int) []byte {
			binary.LittleEndian.PutUint64(b[len(b)-lsmt.HeaderSize+40:], 1<<20)
			return b
		}, "outside the data area"},
		"index in header": {func(b []byte, idx int) []byte {
			binary.LittleEndian.PutUint64(b[len(b)-lsmt.HeaderSize+32:], 512)
			return b
		}, "outside the data area"},
		"unsorted": {func(b []byte, idx int) []byte {
			e0, e1 := entry(b, idx, 0), entry(b, idx, 1)
			setEntry(b, idx, 0, e1)
			setEntry(b, idx, 1, e0)
			return b
		}, "not sorted"},
		"overlapping": {func(b []byte, idx int) []byte {
			e0, e1 := entry(b, idx, 0), entry(b, idx, 1)
			setEntry(b, idx, 1, index.NewSegment(e0.Offset()+1, e1.Length(), e1.MOffset(), false, 0))
			return b
		}, "overlaps"},
		"moffset outside data": {func(b []byte, idx int) []byte {
			e := entry(b, idx, 1)
			setEntry(b, idx, 1, index.NewSegment(e.Offset(), e.Length(), uint64(idx)/lsmt.SectorSize, false, 0))
			return b
		}, "outside the data area"},
		"moffset in header": {func(b []byte, idx int) []byte {
			e := entry(b, idx, 1)
			setEntry(b, idx, 1, index.NewSegment(e.Offset(), e.Length(), 2, false, 0))
			return b
		}, "outside the data area"},
		"length 0": {func(b []byte, idx int) []byte {
			e := entry(b, idx, 1)
			setEntry(b, idx, 1, index.NewSegment(e.Offset(), 0, e.MOffset(), false, 0))
			return b
		}, "length 0"},
		"too small": {func(b []byte, idx int) []byte { return b[:100] }, "too small"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := editLayer(t, good, filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".lsmt"), c.edit)
			l, err := lsmt.OpenLayerFile(p)
			if err == nil {
				l.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("error does not wrap ErrCorrupt: %v", err)
			}
			if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q: want the file name and %q", err, c.want)
			}
		})
	}
}

func TestConfigRejects(t *testing.T) {
	dir := t.TempDir()
	good := makeLayer(t, dir)
	var many []string
	for range 256 {
		many = append(many, fmt.Sprintf(`{"file":%q}`, good))
	}
	missing := filepath.Join(dir, "no-such-layer.lsmt")
	for name, c := range map[string]struct{ cfg, want string }{
		"256 layers":    {`{"lowers":[` + strings.Join(many, ",") + `]}`, "at most 255"},
		"missing lower": {`{"lowers":[{"file":"` + good + `"},{"file":"` + missing + `"}],"resultFile":"result"}`, missing},
		"empty":         {`{}`, "no lowers"},
		"bad json":      {`{"lowers":[`, "config.v1.json"},
		"half upper":    {`{"upper":{"data":"x"}}`, "upper"},
		"blob lower":    {`{"lowers":[{"dir":"/nonexistent","digest":"sha256:00"}]}`, "not supported"},
	} {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, filepath.Join(dir, "config.v1.json"), c.cfg)
			os.Remove(filepath.Join(dir, "result"))
			img, err := OpenImage(p, OpenOptions{})
			if err == nil {
				img.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q: want %q", err, c.want)
			}
			if name == "missing lower" {
				b, _ := os.ReadFile(filepath.Join(dir, "result"))
				if !strings.HasPrefix(string(b), "failed:") || !strings.Contains(string(b), missing) {
					t.Errorf("result file %q", b)
				}
			}
		})
	}
	// 255 layers stack.
	p := writeFile(t, filepath.Join(dir, "config.v1.json"), `{"lowers":[`+strings.Join(many[:255], ",")+`],"resultFile":"result"}`)
	img, err := OpenImage(p, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	img.Close()
	if b, _ := os.ReadFile(filepath.Join(dir, "result")); string(b) != "success" {
		t.Errorf("result file %q", b)
	}
}
