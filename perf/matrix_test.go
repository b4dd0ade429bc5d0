package perf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseMatrix(t *testing.T) {
	m, err := ParseMatrix([]byte(`
# a comment line
rw:       randread mixed   # trailing comment
bs:       4k 1M
iodepth:  1 32
queues:   1 2
pin:      on 0-1,3
codec:    raw lz4 zstd
zfile_bs: 4k 64k
runtime:  2s
image_size: 64M
reference: off
`), "t.matrix", "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.RW) != 2 || m.RW[1] != Mixed || m.BS[1] != 1<<20 || m.Pin[1] != "0-1,3" || m.ZFileBS[1] != 64<<10 {
		t.Errorf("parsed %+v", m)
	}
	if m.Runtime != 2*time.Second || m.Ramp != time.Second || m.ImageSize != 64<<20 || m.Reference {
		t.Errorf("settings %v %v %v %v", m.Runtime, m.Ramp, m.ImageSize, m.Reference)
	}
	// Codecs: raw once, lz4 and zstd once per zfile_bs: 5 images × 2 queues × 2 pins × 8 jobs.
	if got, want := m.Count(), 5*2*2*(2*2*2); got != want {
		t.Errorf("Count = %d, want %d", got, want)
	}
	es := m.Entries()
	if len(es) != m.Count() || es[0].ID != 1 || es[len(es)-1].ID != len(es) {
		t.Errorf("%d entries for a count of %d", len(es), m.Count())
	}
	// Entries of one daemon are adjacent, so each daemon starts once.
	starts := 0
	for i, e := range es {
		if i == 0 || e.Daemon != es[i-1].Daemon {
			starts++
		}
	}
	if starts != 20 {
		t.Errorf("%d daemon starts, want 20", starts)
	}
	if !m.Given("zfile_bs") || m.Given("depth") {
		t.Error("Given")
	}
}

func TestDefaultMatrix(t *testing.T) {
	m, err := ParseMatrix(nil, "empty", "empty")
	if err != nil {
		t.Fatal(err)
	}
	es := m.Entries()
	want := Entry{ID: 1, Daemon: Daemon{Queues: 1, Depth: 128, Pin: PinOn, Codec: CodecRaw}, Job: Job{RW: RandRead, BS: 4096, IODepth: 32, NumJobs: 1}}
	if len(es) != 1 || es[0] != want {
		t.Errorf("default entries %+v", es)
	}
}

// TestMatrixErrors: every mistake is reported with the file, the line and what is wrong.
func TestMatrixErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"queue: 1", `m:1: unknown knob "queue" (knobs: rw, bs,`},
		{"\n\nrw randread", `m:3: "rw randread": want "knob: value value ..."`},
		{"rw: randred", `m:1: rw: "randred": want randread, randwrite, read, write or mixed`},
		{"rw:", "m:1: rw: no value"},
		{"rw: read\nrw: write", "m:2: rw given twice"},
		{"iodepth: 1 2 1", "m:1: iodepth: 1 listed twice"},
		{"iodepth: 0", `iodepth: "0": want a whole number from 1 to 4096`},
		{"iodepth: 1,32", `iodepth: "1,32": want a whole number`},
		{"bs: 4000", `bs: "4000": want 512 to 16M, a multiple of 512`},
		{"bs: 4q", `bs: "4q": want a size`},
		{"depth: 5000", "depth:"},
		{"pin: yes", `pin: "yes": want on, off or a CPU list`},
		{"pin: 3-1", `pin: "3-1"`},
		{"codec: gzip", `codec: "gzip": want raw, none, lz4 or zstd`},
		{"codec: lz4\nzfile_bs: 12k", `zfile_bs: "12k": want a power of two`},
		{"codec: lz4\nzfile_bs: 128k", `zfile_bs: "128k": want 4K to 64K`},
		{"zfile_bs: 16k", "m: zfile_bs is given but no codec is lz4 or zstd"},
		{"runtime: 2s 3s", "m:1: runtime is a setting: one value, not 2"},
		{"runtime: 500ms", `runtime: "500ms": want whole seconds`},
		{"reference: maybe", `reference: "maybe": want on or off`},
		{"image_size: 1000", `image_size: "1000": want 1M to 1T`},
		{"iodepth: " + strings.Repeat("1 ", 70), "at most 64"},
		{"iodepth: 1 2 3 4 5 6 7 8 9 10\nbs: 4k 8k 16k 32k 64k 128k 256k 512k 1M 2M\nqueues: 1 2 3 4 5 6 7 8 9 10\ndepth: 1 2 3 4 5 6 7 8 9 10\ncodec: raw none\n", "m: more than 10000 entries"},
	} {
		_, err := ParseMatrix([]byte(c.text), "m", "m")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want it to contain %q", c.text, err, c.want)
		}
	}
}

// TestReadyMatrices: the matrix files under perf/ parse, and quick fits its budget of five
// minutes in the emulated VM, where one fio run costs about 5 s on top of its own time.
func TestReadyMatrices(t *testing.T) {
	files, _ := filepath.Glob("*.matrix")
	if len(files) < 3 {
		t.Fatalf("ready matrices: %v", files)
	}
	for _, f := range files {
		m, err := LoadMatrix(f)
		if err != nil {
			t.Fatal(err)
		}
		if m.Name != strings.TrimSuffix(f, ".matrix") {
			t.Errorf("%s: name %q", f, m.Name)
		}
		if f == "quick.matrix" {
			refs := len(m.jobs()) // one reference device for a raw null source
			est := time.Duration(m.Count()+refs) * (m.Runtime + m.Ramp + 5*time.Second)
			if est > 5*time.Minute {
				t.Errorf("quick.matrix: about %s in the VM, want under 5m", est)
			}
		}
	}
}

func TestLoadMatrixMissing(t *testing.T) {
	if _, err := LoadMatrix(filepath.Join(t.TempDir(), "nope.matrix")); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}

func TestSizes(t *testing.T) {
	for s, want := range map[string]int64{"512": 512, "4k": 4096, "4K": 4096, "1M": 1 << 20, "2G": 2 << 30, "1T": 1 << 40, "64KiB": 64 << 10} {
		if got, err := parseSizeIn(s, 0, 1<<62, 1); err != nil || got != want {
			t.Errorf("parseSizeIn(%q) = %d, %v", s, got, err)
		}
		if got, _ := parseSizeIn(FormatSize(want), 0, 1<<62, 1); got != want {
			t.Errorf("FormatSize(%d) = %q does not parse back", want, FormatSize(want))
		}
	}
	for _, s := range []string{"", "k", "-1", "1.5M", "99999999999T", "18014398509481988K"} {
		if _, err := parseSizeIn(s, 0, 1<<62, 1); err == nil {
			t.Errorf("parseSizeIn(%q) succeeded", s)
		}
	}
}

func TestLabel(t *testing.T) {
	m, err := ParseMatrix([]byte("queues: 1 2\ncodec: raw lz4\nzfile_bs: 16k"), "m", "m")
	if err != nil {
		t.Fatal(err)
	}
	d := Daemon{Queues: 2, Depth: 128, Pin: PinOn, Codec: CodecLZ4, ZFileBS: 16 << 10}
	if got := d.Label(m.Varying()); got != "q2 lz4/16k" {
		t.Errorf("Label = %q", got)
	}
	if got := d.Label(nil); got != "q2 d128 pin:on lz4/16k" {
		t.Errorf("Label(nil) = %q", got)
	}
	if got := (Daemon{Codec: CodecRaw}).Label(map[string]bool{}); got != "dadi" {
		t.Errorf("Label of nothing varying = %q", got)
	}
}
