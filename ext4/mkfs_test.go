package ext4

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// testFile is one file mkfsImage puts into the file system.
type testFile struct {
	path string
	data []byte
	// holes: data is written in 4 KiB islands with a hole after each, which mkfs keeps as
	// separate extents (more than fit in the inode: an extent tree of depth 1).
	holes bool
}

func testFiles() []testFile {
	rng := rand.New(rand.NewPCG(3, 4))
	rnd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	fs := []testFile{
		{path: "/etc/hostname", data: []byte("dadi\n")},
		{path: "/usr/bin/app", data: rnd(300 << 10)},
		{path: "/usr/lib/libx.so.1", data: rnd(70<<10 + 123)},
		{path: "/var/sparse.db", data: rnd(24 * 4096), holes: true},
		{path: "/empty", data: nil},
	}
	for i := range 300 { // enough names for a multi-block directory (htree after e2fsck -D)
		fs = append(fs, testFile{path: fmt.Sprintf("/many/a-rather-long-file-name-number-%04d", i), data: rnd(100 + i)})
	}
	return fs
}

// mkfsImage builds an ext4 image of 64 MiB from files with mkfs.ext4 -d and extra options,
// indexes its directories (e2fsck -D) and returns its path.
func mkfsImage(t testing.TB, files []testFile, opts ...string) string {
	t.Helper()
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("mkfs.ext4 (e2fsprogs) is required under CI")
		}
		t.Skip("mkfs.ext4 not installed")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for _, f := range files {
		p := filepath.Join(root, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if !f.holes {
			if err := os.WriteFile(p, f.data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off < len(f.data); off += 2 * 4096 {
			if _, err := w.WriteAt(f.data[off:off+4096], int64(off)); err != nil {
				t.Fatal(err)
			}
		}
		w.Truncate(int64(len(f.data)))
		w.Close()
	}
	os.Symlink("usr/lib", filepath.Join(root, "lib"))
	os.Symlink("../lib/libx.so.1", filepath.Join(root, "usr/bin/libx-link"))
	img := filepath.Join(dir, "fs.img")
	args := append([]string{"-q", "-F", "-d", root}, opts...)
	args = append(args, img, "64M")
	if out, err := exec.Command("mkfs.ext4", args...).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4 %v: %v\n%s", args, err, out)
	}
	// -D rebuilds directories as htrees; exit status 1 means "fixed", which is the point.
	if out, err := exec.Command("e2fsck", "-fyD", img).CombinedOutput(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 1 {
			t.Fatalf("e2fsck -fyD: %v\n%s", err, out)
		}
	}
	return img
}

// wantData is what reading f from the file system gives (holes read as zeros).
func (f testFile) wantData() []byte {
	if !f.holes {
		return f.data
	}
	b := bytes.Clone(f.data)
	for off := 4096; off < len(b); off += 2 * 4096 {
		clear(b[off:min(off+4096, len(b))])
	}
	return b
}
