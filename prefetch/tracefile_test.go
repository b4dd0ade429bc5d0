package prefetch

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dadi-dev/dadi/lsmt"
)

func sampleTrace() []TraceRecord {
	return []TraceRecord{
		{TraceRead, 0, 4096, 4096}, {TraceRead, 1, 65536, 1 << 20}, {TraceRead, 0, 512, 0},
	}
}

// TestTraceFormat pins the layout overlaybd writes: magic 0xC2EF1820 at 0, data size at 8, raw
// CRC32C at 16, 24-byte records with the op at 0, layer at 4, count at 8, offset at 16.
func TestTraceFormat(t *testing.T) {
	if got := crcRaw(0, []byte("123456789")); got != 0x58E3FA20 {
		t.Fatalf("raw CRC32C of 123456789 = %#x, want 0x58E3FA20", got)
	}
	b := EncodeTrace(sampleTrace())
	le := binary.LittleEndian
	if len(b) != 24+3*24 || le.Uint32(b) != 0xC2EF1820 || le.Uint64(b[8:]) != 72 || le.Uint32(b[16:]) != crcRaw(0, b[24:]) {
		t.Fatalf("header % x", b[:24])
	}
	r := b[24+24:]
	if r[0] != 'R' || le.Uint32(r[4:]) != 1 || le.Uint64(r[8:]) != 65536 || le.Uint64(r[16:]) != 1<<20 {
		t.Fatalf("record 1: % x", r[:24])
	}
	got, err := ParseTrace(b, "t")
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range sampleTrace() {
		if got[i] != w {
			t.Errorf("record %d: %+v, want %+v", i, got[i], w)
		}
	}
	if !IsTrace(b) || IsTrace([]byte("/usr/bin/app\n")) {
		t.Error("IsTrace")
	}
}

// TestTraceBadInput: every damage is an ErrBadTrace naming the problem.
func TestTraceBadInput(t *testing.T) {
	good := EncodeTrace(sampleTrace())
	le := binary.LittleEndian
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short header", good[:20]},
		{"bad magic", mod(func(b []byte) []byte { b[0] ^= 1; return b })},
		{"bad checksum", mod(func(b []byte) []byte { b[24+9] ^= 0x40; return b })},
		{"truncated file", good[:len(good)-5]},
		{"truncated record", mod(func(b []byte) []byte {
			b = b[:len(b)-5]
			le.PutUint64(b[8:], uint64(len(b)-24))
			le.PutUint32(b[16:], crcRaw(0, b[24:]))
			return b
		})},
		{"trailing bytes", append(append([]byte(nil), good...), 0)},
	} {
		if _, err := ParseTrace(c.b, c.name); !errors.Is(err, ErrBadTrace) {
			t.Errorf("%s: err %v, want ErrBadTrace", c.name, err)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
	sizes := []int64{1 << 20, 2 << 20}
	for _, c := range []struct {
		name string
		r    TraceRecord
	}{
		{"layer beyond the stack", TraceRecord{TraceRead, 2, 4096, 0}},
		{"read past the blob", TraceRecord{TraceRead, 0, 4096, 1<<20 - 512}},
		{"negative offset", TraceRecord{TraceRead, 0, 4096, -4096}},
		{"zero count", TraceRecord{TraceRead, 0, 0, 0}},
		{"bad op", TraceRecord{'X', 0, 4096, 0}},
	} {
		err := CheckTrace([]TraceRecord{{TraceRead, 0, 512, 0}, c.r}, sizes, c.name)
		if !errors.Is(err, ErrBadTrace) {
			t.Errorf("%s: err %v, want ErrBadTrace", c.name, err)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
}

// TestStartPrefetchBadTrace: a damaged trace, or one naming a layer the image lacks, is an
// error and not one byte is read from the layers.
func TestStartPrefetchBadTrace(t *testing.T) {
	dir := t.TempDir()
	l := buildTraceLayer(t, dir, "l0", 1<<20, map[int64][]byte{0: tracePattern(0, 65536)}, lsmt.CommitOptions{})
	good := EncodeTrace([]TraceRecord{{TraceRead, 0, 4096, 4096}})
	bad := map[string][]byte{
		"magic":     append([]byte{0x21}, good[1:]...),
		"checksum":  append(append([]byte(nil), good[:24]...), append([]byte{'R', 1}, good[26:]...)...),
		"truncated": good[:len(good)-1],
		"layer":     EncodeTrace([]TraceRecord{{TraceRead, 0, 4096, 4096}, {TraceRead, 1, 4096, 0}}),
	}
	for name, b := range bad {
		img, srcs := openTestImage(t, 0, false, l)
		p := filepath.Join(dir, name+".trace")
		os.WriteFile(p, b, 0o644)
		mode, err := Start(img, p, PrefetchOptions{})
		if name == "magic" {
			// Without the magic, overlaybd reads the file as a list of paths.
			if mode != PrefetchFileList {
				t.Errorf("%s: mode %v, want file-list", name, mode)
			}
		} else if mode != PrefetchReplay || !errors.Is(err, ErrBadTrace) {
			t.Errorf("%s: mode %v err %v, want replay and ErrBadTrace", name, mode, err)
		}
		t.Logf("%s: %v", name, err)
		img.Close()
		if r := srcs[0].reads(); len(r) != 0 {
			t.Errorf("%s: %d reads replayed from a bad trace", name, len(r))
		}
	}
}
