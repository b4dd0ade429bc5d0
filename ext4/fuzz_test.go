package ext4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzSuperblock: any 1024 bytes either fail to parse or give numbers Open can use without
// overflow: a block size from 1 to 64 KiB, non-zero group sizes, inodes that fit the groups.
func FuzzSuperblock(f *testing.F) {
	sb := make([]byte, superblockSize)
	le := binary.LittleEndian
	le.PutUint32(sb[0x0:], 16384)
	le.PutUint32(sb[0x4:], 16384)
	le.PutUint32(sb[0x18:], 2)
	le.PutUint32(sb[0x20:], 32768)
	le.PutUint32(sb[0x28:], 16384)
	le.PutUint16(sb[0x38:], magic)
	le.PutUint32(sb[0x4C:], 1)
	le.PutUint16(sb[0x58:], 256)
	le.PutUint32(sb[0x60:], incompatExtents|incompatFiletype|incompat64Bit)
	le.PutUint16(sb[0xFE:], 64)
	f.Add(sb)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSuperblock(b)
		if err != nil {
			return
		}
		if s.BlockSize < 1024 || s.BlockSize > 64<<10 || s.BlocksPerGroup == 0 || s.InodesPerGroup == 0 ||
			uint64(s.InodesCount) > uint64(s.Groups)*uint64(s.InodesPerGroup) || s.InodeSize > s.BlockSize {
			t.Fatalf("accepted %+v", s)
		}
	})
}

// FuzzInodeExtents: a damaged inode (its extent root, size, flags) and the disk block an
// index entry may point to give an error or extents inside the disk, never a panic.
func FuzzInodeExtents(f *testing.F) {
	const blocks = 64
	in := make([]byte, 128)
	le := binary.LittleEndian
	le.PutUint16(in[0:], modeReg)
	le.PutUint32(in[4:], 3*4096)
	le.PutUint32(in[0x20:], flagExtents)
	root := in[0x28:]
	le.PutUint16(root[0:], extentMagic)
	le.PutUint16(root[2:], 1)
	le.PutUint16(root[4:], 4)
	le.PutUint16(root[6:], 1)
	le.PutUint32(root[12+4:], 10) // index -> block 10
	leaf := make([]byte, 64)
	le.PutUint16(leaf[0:], extentMagic)
	le.PutUint16(leaf[2:], 1)
	le.PutUint16(leaf[4:], 4)
	le.PutUint16(leaf[12+4:], 3)
	le.PutUint32(leaf[12+8:], 20)
	f.Add(in, leaf)
	// One disk per worker process (its inputs run one at a time): only block 10 changes, and
	// allocating 256 KiB per input would cost more than the input itself.
	disk := make([]byte, blocks*4096)
	f.Fuzz(func(t *testing.T, inode, node []byte) {
		clear(disk[10*4096 : 11*4096])
		copy(disk[10*4096:11*4096], node)
		fs := &FS{r: bytes.NewReader(disk), size: int64(len(disk)), sb: Superblock{BlockSize: 4096, BlocksCount: blocks, InodesCount: 16}}
		ino, err := ParseInode(12, inode)
		if err != nil {
			return
		}
		rs, err := fs.DataRanges(&ino)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.Offset < 0 || r.Length <= 0 || r.Offset+r.Length > int64(len(disk)) {
				t.Fatalf("range %+v outside the %d-byte disk", r, len(disk))
			}
		}
	})
}

// FuzzDirBlock: any directory block gives entries inside it or an ErrCorrupt error.
func FuzzDirBlock(f *testing.F) {
	b := make([]byte, 1024)
	le := binary.LittleEndian
	le.PutUint32(b[0:], 2)
	le.PutUint16(b[4:], 12)
	b[6], b[8] = 1, '.'
	le.PutUint32(b[12:], 11)
	le.PutUint16(b[16:], 1012)
	b[18], b[19] = 4, 2
	copy(b[20:], "file")
	f.Add(b)
	f.Fuzz(func(t *testing.T, block []byte) {
		fs := &FS{sb: Superblock{BlockSize: 1024, InodesCount: 64, FeatureIncompat: incompatFiletype}}
		_, err := fs.walkBlock(12, block, func(name []byte, ino uint32) bool {
			if ino == 0 || ino > 64 || len(name) == 0 || len(name) > len(block) {
				t.Fatalf("entry %q inode %d", name, ino)
			}
			return true
		})
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatal(err)
		}
	})
}
