package cpio

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// cpioEntry is one entry as readCPIO decodes it.
type cpioEntry struct {
	name         string
	mode         uint32
	rmaj, rmin   uint32
	data         string
	nlink, inode uint32
}

// readCPIO decodes a newc archive independently of the writer, by the format's definition.
func readCPIO(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	off := 0
	for {
		if off+110 > len(b) {
			t.Fatalf("truncated header at %d", off)
		}
		hdr := string(b[off : off+110])
		if hdr[:6] != "070701" {
			t.Fatalf("bad magic %q at %d", hdr[:6], off)
		}
		field := func(i int) uint32 {
			v, err := strconv.ParseUint(hdr[6+8*i:14+8*i], 16, 32)
			if err != nil {
				t.Fatalf("field %d at %d: %v", i, off, err)
			}
			return uint32(v)
		}
		size, namesize := int(field(6)), int(field(11))
		name := string(b[off+110 : off+110+namesize])
		if !strings.HasSuffix(name, "\x00") {
			t.Fatalf("name %q not NUL-terminated", name)
		}
		name = strings.TrimSuffix(name, "\x00")
		dataOff := off + 110 + namesize
		dataOff += pad4(dataOff)
		if dataOff%4 != 0 {
			t.Fatalf("%s: data not aligned", name)
		}
		e := cpioEntry{name: name, inode: field(0), mode: field(1), nlink: field(4), rmaj: field(9), rmin: field(10),
			data: string(b[dataOff : dataOff+size])}
		off = dataOff + size + pad4(size)
		if name == trailer {
			if off != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		out = append(out, e)
	}
}

func TestCPIORoundTrip(t *testing.T) {
	var buf bytes.Buffer
	c := NewWriter(&buf)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Dir("/dev", 0o755))
	must(c.CharDev("/dev/console", 0o600, 5, 1))
	must(c.Bytes("/init", 0o755, []byte("#!/bin/sh\n")))
	for n := 0; n < 5; n++ { // every padding length
		must(c.Bytes(fmt.Sprintf("f%d", n), 0o644, bytes.Repeat([]byte{'x'}, n)))
	}
	must(c.Symlink("link", "init"))
	must(c.Close())

	got := readCPIO(t, buf.Bytes())
	want := []cpioEntry{
		{name: "dev", mode: typeDir | 0o755, nlink: 2},
		{name: "dev/console", mode: typeChar | 0o600, rmaj: 5, rmin: 1, nlink: 1},
		{name: "init", mode: typeReg | 0o755, data: "#!/bin/sh\n", nlink: 1},
		{name: "f0", mode: typeReg | 0o644, nlink: 1},
		{name: "f1", mode: typeReg | 0o644, data: "x", nlink: 1},
		{name: "f2", mode: typeReg | 0o644, data: "xx", nlink: 1},
		{name: "f3", mode: typeReg | 0o644, data: "xxx", nlink: 1},
		{name: "f4", mode: typeReg | 0o644, data: "xxxx", nlink: 1},
		{name: "link", mode: typeLink | 0o777, data: "init", nlink: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(got), len(want), got)
	}
	seen := map[uint32]bool{}
	for i := range want {
		g := got[i]
		if seen[g.inode] {
			t.Errorf("%s: inode %d reused", g.name, g.inode)
		}
		seen[g.inode] = true
		g.inode = 0
		if g != want[i] {
			t.Errorf("entry %d: got %+v, want %+v", i, g, want[i])
		}
	}

	// GNU cpio, when installed, must agree on the listing.
	if _, err := exec.LookPath("cpio"); err == nil {
		cmd := exec.Command("cpio", "-t", "--quiet")
		cmd.Stdin = bytes.NewReader(buf.Bytes())
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("cpio -t: %v", err)
		}
		wantList := "dev\ndev/console\ninit\nf0\nf1\nf2\nf3\nf4\nlink\n"
		if string(out) != wantList {
			t.Errorf("cpio -t listed:\n%s\nwant:\n%s", out, wantList)
		}
	}
}

func TestCPIOShortReader(t *testing.T) {
	c := NewWriter(io.Discard)
	if err := c.File("f", 0o644, strings.NewReader("abc"), 10); err == nil {
		t.Fatal("a reader shorter than the declared size must fail")
	}
	if err := c.Close(); err == nil {
		t.Fatal("a writer that failed must stay failed")
	}
}
