package prefetch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/ext4"
	"github.com/dadi-dev/dadi/lsmt"
)

// ext4Layer makes a 64 MiB ext4 file system with mkfs.ext4 -d from files (path -> bytes),
// damages it with damage if not nil, and commits it into a layer through CreateRW, WriteAt and
// Commit (only the blocks that are not all zeros are written). It returns the layer and the
// raw file system bytes.
func ext4Layer(t testing.TB, files map[string][]byte, damage func(fs *ext4.FS, b []byte)) (string, []byte) {
	t.Helper()
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("mkfs.ext4 (e2fsprogs) is required under CI")
		}
		t.Skip("mkfs.ext4 not installed")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for p, b := range files {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink("usr/lib", filepath.Join(root, "lib"))
	imgPath := filepath.Join(dir, "fs.img")
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-d", root, imgPath, "64M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(imgPath)
	if err != nil {
		t.Fatal(err)
	}
	if damage != nil {
		fs, err := ext4.Open(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatal(err)
		}
		damage(fs, raw)
	}
	writes := map[int64][]byte{}
	zero := make([]byte, 4096)
	for off := 0; off < len(raw); off += 4096 {
		if !bytes.Equal(raw[off:off+4096], zero) {
			writes[int64(off)] = raw[off : off+4096]
		}
	}
	return buildTraceLayer(t, dir, "fs", int64(len(raw)), writes, lsmt.CommitOptions{}), raw
}

func fileListFiles() map[string][]byte {
	files := map[string][]byte{}
	for i, p := range []string{"/usr/bin/app", "/usr/lib/libx.so.1", "/etc/hostname", "/usr/bin/other", "/var/big.db", "/etc/unlisted.conf"} {
		files[p] = tracePattern(int64(i)<<20, (i+1)*50<<10+i*333)
	}
	return files
}

// blobSpans maps the data blocks of paths in the raw file system to the layer blob's byte
// ranges, as a trace would.
func blobSpans(t testing.TB, img *engine.Image, raw []byte, paths ...string) []TraceRecord {
	t.Helper()
	fs, err := ext4.Open(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	var reads []DeviceRead
	for _, p := range paths {
		in, err := fs.Lookup(p)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := fs.DataRanges(&in)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 0 {
			t.Fatalf("%s: no data blocks", p)
		}
		for _, r := range rs {
			reads = append(reads, DeviceRead{r.Offset, r.Length})
		}
	}
	recs, err := TraceFromReads(img, reads)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func overlaps(s srcSpan, r TraceRecord) bool {
	return s.off < r.Offset+int64(r.Count) && r.Offset < s.off+s.n
}

// TestFileListPrefetch: recordTracePath naming a file list prefetches the data blocks of the
// listed files (a symlinked directory followed, a missing file skipped) from the layer's
// source, in list order; the source sees those reads and the file system's metadata, and not
// a byte of the files left off the list.
func TestFileListPrefetch(t *testing.T) {
	files := fileListFiles()
	layer, raw := ext4Layer(t, files, nil)
	img, srcs := openTestImage(t, 0, false, layer)
	defer img.Close()
	listed := []string{"/usr/bin/app", "/lib/libx.so.1", "/etc/hostname", "/var/big.db"}
	want := blobSpans(t, img, raw, listed...)
	unlisted := blobSpans(t, img, raw, "/usr/bin/other", "/etc/unlisted.conf")

	list := filepath.Join(t.TempDir(), "prefetch.list")
	if err := os.WriteFile(list, []byte("/usr/bin/app\n/lib/libx.so.1\r\n\n  /etc/hostname\n/not/in/image\n/var/big.db"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan ReplayStats, 1)
	mode, err := Start(img, list, PrefetchOptions{Concurrency: 1, ReplayDone: func(s ReplayStats) { done <- s }})
	if err != nil || mode != PrefetchFileList {
		t.Fatalf("mode %v, err %v", mode, err)
	}
	var st ReplayStats
	select {
	case st = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("replay did not end")
	}
	if st.Failed != 0 || st.Done != len(want) {
		t.Fatalf("replay %+v, want %d records", st, len(want))
	}
	reads := srcs[0].reads()
	// The replay's reads come last, in list order, one per record (one worker).
	if len(reads) < len(want) {
		t.Fatalf("%d source reads, want at least the %d records", len(reads), len(want))
	}
	meta, replay := reads[:len(reads)-len(want)], reads[len(reads)-len(want):]
	for i, r := range want {
		if replay[i] != (srcSpan{r.Offset, int64(r.Count)}) {
			t.Fatalf("replay read %d: %+v, want %+v", i, replay[i], r)
		}
	}
	for _, s := range reads {
		for _, u := range unlisted {
			if overlaps(s, u) {
				t.Fatalf("source read %+v touches an unlisted file's blocks %+v", s, u)
			}
		}
	}
	// Metadata: the superblock, descriptors, inodes, directories. Far less than the data.
	var metaBytes, dataBytes int64
	for _, s := range meta {
		metaBytes += s.n
	}
	for _, r := range want {
		dataBytes += int64(r.Count)
	}
	t.Logf("%d records, %d KiB of file data; %d metadata reads, %d KiB", len(want), dataBytes>>10, len(meta), metaBytes>>10)
	if img.DemandReads() != 0 {
		t.Error("demand reads still counted")
	}
}

// TestFileListBadInput: a damaged file system or a list line that is not an absolute path is
// a clear error, and nothing is replayed.
func TestFileListBadInput(t *testing.T) {
	files := fileListFiles()
	le := binary.LittleEndian
	appInode := func(fs *ext4.FS) int64 {
		in, err := fs.Lookup("/usr/bin/app")
		if err != nil {
			t.Fatal(err)
		}
		off, _ := fs.InodeLocation(in.Ino)
		return off
	}
	for _, tc := range []struct {
		name   string
		damage func(fs *ext4.FS, b []byte)
		list   string
		want   error
	}{
		{"bad magic", func(_ *ext4.FS, b []byte) { b[1024+0x38] ^= 0xff }, "/etc/hostname\n", ext4.ErrCorrupt},
		{"inode out of range", func(_ *ext4.FS, b []byte) {
			i := bytes.Index(b, []byte("hostname"))
			le.PutUint32(b[i-8:], 0x7FFFFFFF)
		}, "/etc/hostname\n", ext4.ErrCorrupt},
		{"extent beyond the disk", func(fs *ext4.FS, b []byte) {
			le.PutUint32(b[appInode(fs)+0x28+12+8:], 0xFFFFFF00)
		}, "/etc/hostname\n/usr/bin/app\n", ext4.ErrCorrupt},
		{"relative path", nil, "/etc/hostname\nusr/bin/app\n", ErrBadTrace},
		{"binary garbage", nil, "\x00\x01\x02garbage", ErrBadTrace},
	} {
		t.Run(tc.name, func(t *testing.T) {
			layer, _ := ext4Layer(t, files, tc.damage)
			img, srcs := openTestImage(t, 0, false, layer)
			list := filepath.Join(t.TempDir(), "list")
			if err := os.WriteFile(list, []byte(tc.list), 0o644); err != nil {
				t.Fatal(err)
			}
			var replayed atomic.Bool
			mode, err := Start(img, list, PrefetchOptions{ReplayDone: func(ReplayStats) { replayed.Store(true) }})
			if mode != PrefetchFileList || !errors.Is(err, tc.want) {
				t.Fatalf("mode %v, err %v; want file-list and %v", mode, err, tc.want)
			}
			t.Log(err)
			n := len(srcs[0].reads())
			time.Sleep(10 * time.Millisecond)
			img.Close()
			if replayed.Load() || len(srcs[0].reads()) != n {
				t.Fatal("replayed after an error")
			}
		})
	}
}
