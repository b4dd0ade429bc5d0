package ext4

import (
	"bytes"
	"errors"
	iofs "io/fs"
	"os"
	"testing"
)

func openImage(t testing.TB, path string) (*FS, *os.File) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, _ := f.Stat()
	fs, err := Open(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return fs, f
}

// readByExtents reads a file the way prefetch finds it: through its extents.
func readByExtents(t testing.TB, fs *FS, f *os.File, in *Inode) []byte {
	t.Helper()
	exts, err := fs.Extents(in)
	if err != nil {
		t.Fatal(err)
	}
	bs := int64(fs.sb.BlockSize)
	out := make([]byte, (int64(in.Size)+bs-1)/bs*bs)
	for _, x := range exts {
		if x.Unwritten {
			continue
		}
		start := int64(x.Logical) * bs
		n := min(int64(x.Len)*bs, int64(len(out))-start)
		if _, err := f.ReadAt(out[start:start+n], int64(x.Physical)*bs); err != nil {
			t.Fatal(err)
		}
	}
	return out[:in.Size]
}

// TestReadFiles: every file of images made by mkfs.ext4 (4 KiB blocks with 64-bit group
// descriptors; 1 KiB blocks with 32-bit ones) is found by path and its extents hold its bytes,
// in a sparse file with an extent tree of depth 1 and in an htree directory.
func TestReadFiles(t *testing.T) {
	files := testFiles()
	for _, tc := range []struct {
		name string
		opts []string
		desc uint32
	}{
		{"4k-64bit", []string{"-b", "4096", "-O", "64bit"}, 64},
		{"1k-32bit", []string{"-b", "1024", "-O", "^64bit"}, 32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, f := openImage(t, mkfsImage(t, files, tc.opts...))
			if fs.sb.DescSize != tc.desc {
				t.Fatalf("descriptor size %d, want %d", fs.sb.DescSize, tc.desc)
			}
			for _, tf := range files {
				in, err := fs.Lookup(tf.path)
				if err != nil {
					t.Fatal(err)
				}
				if got := readByExtents(t, fs, f, &in); !bytes.Equal(got, tf.wantData()) {
					t.Fatalf("%s: %d bytes differ from the %d written", tf.path, len(got), len(tf.data))
				}
			}
			sparse, _ := fs.Lookup("/var/sparse.db")
			if sparse.Block[6] == 0 && sparse.Block[7] == 0 { // eh_depth
				t.Errorf("sparse file has an extent tree of depth 0; the test wants depth > 0")
			}
			many, _ := fs.Lookup("/many")
			if many.Flags&0x1000 == 0 {
				t.Errorf("/many is not an htree directory")
			}
			ents, err := fs.ReadDir(&many)
			if err != nil || len(ents) != 302 {
				t.Errorf("/many: %d entries, %v; want 302", len(ents), err)
			}
			// Symlinks: a directory one (/lib -> usr/lib) and a relative one with "..".
			for _, p := range []string{"/lib/libx.so.1", "/usr/bin/libx-link", "/usr/./bin/../lib/libx.so.1"} {
				in, err := fs.Lookup(p)
				if err != nil || in.Size != 70<<10+123 {
					t.Errorf("%s: size %d, %v", p, in.Size, err)
				}
			}
			if _, err := fs.Lookup("/usr/nothing"); !errors.Is(err, iofs.ErrNotExist) {
				t.Errorf("missing file: %v", err)
			}
			if _, err := fs.Lookup("/etc/hostname/x"); !errors.Is(err, iofs.ErrNotExist) {
				t.Errorf("file as directory: %v", err)
			}
		})
	}
}
