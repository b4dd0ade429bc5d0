package ext4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"testing"
)

// TestBadInput: a damaged file system is an ErrCorrupt error, never a panic or a range
// outside the disk.
func TestBadInput(t *testing.T) {
	files := testFiles()[:5]
	orig, err := os.ReadFile(mkfsImage(t, files))
	if err != nil {
		t.Fatal(err)
	}
	fs0, err := Open(bytes.NewReader(orig), int64(len(orig)))
	if err != nil {
		t.Fatal(err)
	}
	app, err := fs0.Lookup("/usr/bin/app")
	if err != nil {
		t.Fatal(err)
	}
	appAt, _ := fs0.InodeLocation(app.Ino)
	le := binary.LittleEndian
	for _, tc := range []struct {
		name   string
		damage func(b []byte) []byte
		path   string
	}{
		{"bad magic", func(b []byte) []byte { b[1024+0x38] = 0; return b }, "/etc/hostname"},
		{"block size", func(b []byte) []byte { b[1024+0x18] = 9; return b }, "/etc/hostname"},
		{"disk shorter than the file system", func(b []byte) []byte { return b[:len(b)/2] }, "/etc/hostname"},
		{"inode table beyond the disk", func(b []byte) []byte {
			gd := int(fs0.sb.FirstDataBlock+1) * int(fs0.sb.BlockSize)
			le.PutUint32(b[gd+0x8:], 0xFFFFFF)
			return b
		}, "/etc/hostname"},
		{"directory entry: inode out of range", func(b []byte) []byte {
			i := bytes.Index(b, []byte("hostname"))
			le.PutUint32(b[i-8:], 0x7FFFFFFF)
			return b
		}, "/etc/hostname"},
		{"extent beyond the disk", func(b []byte) []byte {
			le.PutUint32(b[appAt+0x28+12+8:], 0xFFFFFF00) // first extent's start
			return b
		}, "/usr/bin/app"},
		{"extent header magic", func(b []byte) []byte { b[appAt+0x28] = 0; return b }, "/usr/bin/app"},
		{"extent entries over max", func(b []byte) []byte { le.PutUint16(b[appAt+0x28+2:], 9); return b }, "/usr/bin/app"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.damage(bytes.Clone(orig))
			fs, err := Open(bytes.NewReader(b), int64(len(b)))
			if err == nil {
				var in Inode
				if in, err = fs.Lookup(tc.path); err == nil {
					_, err = fs.DataRanges(&in)
				}
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err %v, want ErrCorrupt", err)
			}
			t.Log(err)
		})
	}
	if _, err := fs0.ReadInode(fs0.sb.InodesCount + 1); !errors.Is(err, ErrCorrupt) {
		t.Errorf("inode past the count: %v", err)
	}
	if _, err := fs0.ReadInode(0); !errors.Is(err, ErrCorrupt) {
		t.Errorf("inode 0: %v", err)
	}
}
