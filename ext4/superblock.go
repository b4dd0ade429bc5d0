package ext4

import (
	"encoding/binary"
	"fmt"
	"io"
)

const (
	superblockOffset = 1024
	superblockSize   = 1024
	magic            = 0xEF53

	incompatFiletype   = 0x2
	incompatJournalDev = 0x8
	incompatMetaBG     = 0x10
	incompatExtents    = 0x40
	incompat64Bit      = 0x80
	incompatInlineData = 0x8000
	incompatEncrypt    = 0x10000
)

// Superblock holds the superblock fields the reader needs.
type Superblock struct {
	InodesCount     uint32
	BlocksCount     uint64
	FirstDataBlock  uint32
	BlockSize       uint32
	BlocksPerGroup  uint32
	InodesPerGroup  uint32
	InodeSize       uint32
	DescSize        uint32
	FeatureIncompat uint32
	Groups          uint32
}

// ParseSuperblock decodes and checks the 1024-byte superblock.
func ParseSuperblock(b []byte) (Superblock, error) {
	if len(b) < superblockSize {
		return Superblock{}, corruptf("superblock: %d bytes", len(b))
	}
	le := binary.LittleEndian
	if m := le.Uint16(b[0x38:]); m != magic {
		return Superblock{}, corruptf("superblock magic %#04x, want %#04x", m, magic)
	}
	sb := Superblock{
		InodesCount:     le.Uint32(b[0x0:]),
		BlocksCount:     uint64(le.Uint32(b[0x4:])),
		FirstDataBlock:  le.Uint32(b[0x14:]),
		BlocksPerGroup:  le.Uint32(b[0x20:]),
		InodesPerGroup:  le.Uint32(b[0x28:]),
		InodeSize:       128,
		DescSize:        32,
		FeatureIncompat: le.Uint32(b[0x60:]),
	}
	logBS := le.Uint32(b[0x18:])
	if logBS > 6 {
		return Superblock{}, corruptf("block size 1024<<%d", logBS)
	}
	sb.BlockSize = 1024 << logBS
	if le.Uint32(b[0x4C:]) >= 1 { // dynamic revision: the inode size is recorded
		sb.InodeSize = uint32(le.Uint16(b[0x58:]))
	}
	if sb.FeatureIncompat&incompat64Bit != 0 {
		sb.BlocksCount |= uint64(le.Uint32(b[0x150:])) << 32
		sb.DescSize = uint32(le.Uint16(b[0xFE:]))
		if sb.DescSize < 64 || sb.DescSize > 1024 || sb.DescSize&(sb.DescSize-1) != 0 {
			return Superblock{}, corruptf("group descriptor size %d", sb.DescSize)
		}
	}
	switch {
	case sb.InodeSize < 128 || sb.InodeSize > sb.BlockSize || sb.InodeSize&(sb.InodeSize-1) != 0:
		return Superblock{}, corruptf("inode size %d", sb.InodeSize)
	case sb.BlocksPerGroup == 0 || sb.BlocksPerGroup > 8*sb.BlockSize:
		return Superblock{}, corruptf("%d blocks per group", sb.BlocksPerGroup)
	case sb.InodesPerGroup == 0 || sb.InodesPerGroup > 8*sb.BlockSize:
		return Superblock{}, corruptf("%d inodes per group", sb.InodesPerGroup)
	case uint64(sb.FirstDataBlock) >= sb.BlocksCount:
		return Superblock{}, corruptf("first data block %d of %d", sb.FirstDataBlock, sb.BlocksCount)
	case sb.BlocksCount > 1<<48:
		return Superblock{}, corruptf("%d blocks", sb.BlocksCount)
	}
	groups := (sb.BlocksCount - uint64(sb.FirstDataBlock) + uint64(sb.BlocksPerGroup) - 1) / uint64(sb.BlocksPerGroup)
	if groups > 1<<32-1 || uint64(sb.InodesCount) > groups*uint64(sb.InodesPerGroup) || sb.InodesCount == 0 {
		return Superblock{}, corruptf("%d inodes in %d groups of %d", sb.InodesCount, groups, sb.InodesPerGroup)
	}
	sb.Groups = uint32(groups)
	switch {
	case sb.FeatureIncompat&incompatJournalDev != 0:
		return Superblock{}, fmt.Errorf("an external journal device: %w", ErrNotSupported)
	case sb.FeatureIncompat&incompatMetaBG != 0:
		return Superblock{}, fmt.Errorf("meta_bg: %w", ErrNotSupported)
	}
	return sb, nil
}

// FS is an ext4 file system on a disk image.
type FS struct {
	r    io.ReaderAt
	size int64 // bytes of the disk
	sb   Superblock
	// inodeTables[g] is group g's inode table block.
	inodeTables []uint64
}

// Open reads the superblock and group descriptors of the file system on r, a disk of size
// bytes.
func Open(r io.ReaderAt, size int64) (*FS, error) {
	b := make([]byte, superblockSize)
	if err := readAt(r, size, b, superblockOffset); err != nil {
		return nil, fmt.Errorf("superblock: %w", err)
	}
	sb, err := ParseSuperblock(b)
	if err != nil {
		return nil, err
	}
	if sb.BlocksCount > uint64(size)/uint64(sb.BlockSize) {
		return nil, corruptf("%d blocks of %d bytes on a %d-byte disk", sb.BlocksCount, sb.BlockSize, size)
	}
	fs := &FS{r: r, size: size, sb: sb}
	// The descriptors follow the superblock's block; bounded by the disk size checked above.
	gdt := make([]byte, uint64(sb.Groups)*uint64(sb.DescSize))
	if err := fs.readBlocks(gdt, uint64(sb.FirstDataBlock)+1); err != nil {
		return nil, fmt.Errorf("group descriptors: %w", err)
	}
	le := binary.LittleEndian
	fs.inodeTables = make([]uint64, sb.Groups)
	itBlocks := (uint64(sb.InodesPerGroup)*uint64(sb.InodeSize) + uint64(sb.BlockSize) - 1) / uint64(sb.BlockSize)
	for g := range fs.inodeTables {
		d := gdt[uint64(g)*uint64(sb.DescSize):]
		t := uint64(le.Uint32(d[0x8:]))
		if sb.DescSize >= 64 {
			t |= uint64(le.Uint32(d[0x28:])) << 32
		}
		if t == 0 || t+itBlocks > sb.BlocksCount {
			return nil, corruptf("group %d: inode table at block %d of %d", g, t, sb.BlocksCount)
		}
		fs.inodeTables[g] = t
	}
	return fs, nil
}

// Superblock returns the parsed superblock.
func (fs *FS) Superblock() Superblock { return fs.sb }

// readAt reads len(p) bytes at off of a size-byte disk.
func readAt(r io.ReaderAt, size int64, p []byte, off int64) error {
	if off < 0 || off+int64(len(p)) > size {
		return corruptf("read of %d bytes at %d beyond the %d-byte disk", len(p), off, size)
	}
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read %d bytes at %d: %w", len(p), off, err)
}

// readBlocks reads len(p) bytes from block blk on.
func (fs *FS) readBlocks(p []byte, blk uint64) error {
	n := (uint64(len(p)) + uint64(fs.sb.BlockSize) - 1) / uint64(fs.sb.BlockSize)
	if blk >= fs.sb.BlocksCount || n > fs.sb.BlocksCount-blk {
		return corruptf("blocks [%d, +%d) beyond the %d-block disk", blk, n, fs.sb.BlocksCount)
	}
	return readAt(fs.r, fs.size, p, int64(blk*uint64(fs.sb.BlockSize)))
}
