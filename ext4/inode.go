package ext4

import (
	"encoding/binary"
	"fmt"
)

const (
	RootIno = 2

	modeType = 0xF000
	modeDir  = 0x4000
	modeReg  = 0x8000
	modeLink = 0xA000

	flagExtents    = 0x80000
	flagInlineData = 0x10000000

	inodeBlockLen = 60 // i_block
)

// Inode holds the inode fields the reader needs.
type Inode struct {
	Ino   uint32
	Mode  uint16
	Size  uint64
	Flags uint32
	Block [inodeBlockLen]byte // i_block: the extent tree root, a block map or inline bytes
}

func (in *Inode) IsDir() bool     { return in.Mode&modeType == modeDir }
func (in *Inode) IsRegular() bool { return in.Mode&modeType == modeReg }
func (in *Inode) IsSymlink() bool { return in.Mode&modeType == modeLink }

// ParseInode decodes an on-disk inode (at least 128 bytes).
func ParseInode(ino uint32, b []byte) (Inode, error) {
	if len(b) < 128 {
		return Inode{}, corruptf("inode %d: %d bytes", ino, len(b))
	}
	le := binary.LittleEndian
	in := Inode{
		Ino:   ino,
		Mode:  le.Uint16(b[0x0:]),
		Size:  uint64(le.Uint32(b[0x4:])) | uint64(le.Uint32(b[0x6C:]))<<32,
		Flags: le.Uint32(b[0x20:]),
	}
	copy(in.Block[:], b[0x28:0x28+inodeBlockLen])
	if in.Size > 1<<56 {
		return Inode{}, corruptf("inode %d: size %d", ino, in.Size)
	}
	return in, nil
}

// InodeLocation is the disk byte offset of inode ino.
func (fs *FS) InodeLocation(ino uint32) (int64, error) {
	if ino == 0 || ino > fs.sb.InodesCount {
		return 0, corruptf("inode %d out of range [1, %d]", ino, fs.sb.InodesCount)
	}
	g, i := (ino-1)/fs.sb.InodesPerGroup, (ino-1)%fs.sb.InodesPerGroup
	return int64(fs.inodeTables[g]*uint64(fs.sb.BlockSize) + uint64(i)*uint64(fs.sb.InodeSize)), nil
}

// ReadInode reads inode ino.
func (fs *FS) ReadInode(ino uint32) (Inode, error) {
	off, err := fs.InodeLocation(ino)
	if err != nil {
		return Inode{}, err
	}
	b := make([]byte, 128)
	if err := readAt(fs.r, fs.size, b, off); err != nil {
		return Inode{}, fmt.Errorf("inode %d: %w", ino, err)
	}
	return ParseInode(ino, b)
}
