package ebpf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleEvents() []Event {
	return []Event{
		{Time: 1000, Latency: 50000, Sector: 8, Bytes: 4096, Dev: MkDev(7, 0), PID: 42, Op: OpRead, Comm: "cat"},
		{Time: 2000, Latency: 70000, Sector: 2048, Bytes: 65536, Dev: MkDev(7, 0), PID: 42, Op: OpWrite, Comm: "a-fifteen-char!"},
		{Time: 3000, Latency: 900000, Sector: 0, Bytes: 0, Dev: MkDev(7, 0), PID: 1, Op: OpFlush, Error: 10, Comm: "jbd2/loop0-8"},
		{Time: 4000, Latency: 10000, Sector: 4096, Bytes: 1 << 20, Dev: MkDev(7, 0), PID: 7, Op: OpDiscard, Comm: "fstrim"},
	}
}

func writeSample(t testing.TB) (string, []byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "trace")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(f, MkDev(7, 0), time.Unix(1700000000, 5))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range sampleEvents() {
		e := e
		if err := w.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(3, 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, _ := os.ReadFile(p)
	return p, b
}

func TestFileRoundTrip(t *testing.T) {
	p, b := writeSample(t)
	if len(b) != FileHeaderSize+4*FileRecordSize {
		t.Fatalf("%d bytes", len(b))
	}
	f, err := ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Dev != MkDev(7, 0) || f.Lost != 3 || f.Other != 1 || !f.Start.Equal(time.Unix(1700000000, 5)) {
		t.Errorf("header %+v", f)
	}
	for i, w := range sampleEvents() {
		if f.Events[i] != w {
			t.Errorf("event %d: %+v, want %+v", i, f.Events[i], w)
		}
	}
}

func TestFileBadInput(t *testing.T) {
	_, good := writeSample(t)
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for name, b := range map[string][]byte{
		"short":      good[:10],
		"magic":      mod(func(b []byte) []byte { b[0] = 'X'; return b }),
		"unfinished": mod(func(b []byte) []byte { clear(b[:FileHeaderSize]); return b }),
		"checksum":   mod(func(b []byte) []byte { b[FileHeaderSize+3] ^= 1; return b }),
		"truncated":  good[:len(good)-7],
		"op":         mod(func(b []byte) []byte { b[FileHeaderSize+36] = 'Z'; return b }),
		"version":    mod(func(b []byte) []byte { b[8] = 9; return b }),
	} {
		if _, err := ParseFile(b, name); !errors.Is(err, ErrBadFile) {
			t.Errorf("%s: %v, want ErrBadFile", name, err)
		}
	}
}

func TestShowFormats(t *testing.T) {
	p, _ := writeSample(t)
	f, err := ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	if err := WriteCSV(&csv, f); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if lines[0] != "time_ns,dev,op,sector,bytes,latency_ns,pid,comm" || lines[1] != "1000,7:0,R,8,4096,50000,42,cat" || len(lines) != 5 {
		t.Errorf("csv:\n%s", csv.String())
	}
	s := Summarize(f, 4)
	if s.Events != 4 || s.Ops["R"].Bytes != 4096 || s.Ops["W"].Requests != 1 || s.LatencyMax != 900000 || s.Errors != 1 {
		t.Errorf("summary %+v", s)
	}
	var heat uint64
	for _, h := range s.Heat {
		heat += h
	}
	if heat != s.Bytes {
		t.Errorf("heat map holds %d bytes, trace %d", heat, s.Bytes)
	}
	var txt, js bytes.Buffer
	s.WriteText(&txt, f)
	if err := WriteJSON(&js, f, &s); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", txt.String())
	if !strings.Contains(txt.String(), "lost 3") || !strings.Contains(js.String(), `"comm": "fstrim"`) {
		t.Errorf("text or json lacks fields:\n%s\n%s", txt.String(), js.String())
	}
}

// FuzzParseFile: the device trace parser never panics, and what it accepts has as many events
// as its records.
func FuzzParseFile(f *testing.F) {
	_, good := writeSample(f)
	f.Add(good)
	f.Add(good[:FileHeaderSize])
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := ParseFile(b, "fuzz")
		if err != nil {
			return
		}
		if len(tr.Events) != (len(b)-FileHeaderSize)/FileRecordSize {
			t.Fatalf("%d events from %d bytes", len(tr.Events), len(b))
		}
		Summarize(tr, 8)
	})
}
