package ext4

import (
	"encoding/binary"
	"fmt"
)

const (
	extentMagic     = 0xF30A
	extentMaxDepth  = 5 // what the kernel allows
	extentInitMax   = 32768
	maxExtentNodes  = 1 << 16 // tree blocks visited per file: a bound against looping trees
	extentEntrySize = 12
)

// Extent maps Len blocks of a file from logical block Logical to disk block Physical.
// Unwritten extents read as zeros and have no data on the disk.
type Extent struct {
	Logical   uint32
	Physical  uint64
	Len       uint32
	Unwritten bool
}

// Extents returns the extents of an extent-mapped inode in tree order, each checked to lie
// on the disk. A file with inline data, or a fast symlink, has none.
func (fs *FS) Extents(in *Inode) ([]Extent, error) {
	if in.Flags&flagInlineData != 0 || in.isFastSymlink() {
		return nil, nil
	}
	if in.Flags&flagExtents == 0 {
		if in.Size == 0 {
			return nil, nil
		}
		return nil, fmt.Errorf("inode %d: block-mapped file: %w", in.Ino, ErrNotSupported)
	}
	w := extentWalk{fs: fs, ino: in.Ino}
	if err := w.node(in.Block[:], -1); err != nil {
		return nil, err
	}
	return w.out, nil
}

type extentWalk struct {
	fs    *FS
	ino   uint32
	nodes int
	out   []Extent
}

// node walks one tree node; want is the depth its parent says it has (-1 for the root).
func (w *extentWalk) node(b []byte, want int) error {
	le := binary.LittleEndian
	if len(b) < extentEntrySize {
		return corruptf("inode %d: extent node of %d bytes", w.ino, len(b))
	}
	if m := le.Uint16(b); m != extentMagic {
		return corruptf("inode %d: extent header magic %#04x", w.ino, m)
	}
	entries, maxEntries, depth := int(le.Uint16(b[2:])), int(le.Uint16(b[4:])), int(le.Uint16(b[6:]))
	switch {
	case entries > maxEntries || (1+maxEntries)*extentEntrySize > len(b):
		return corruptf("inode %d: extent node of %d entries (max %d) in %d bytes", w.ino, entries, maxEntries, len(b))
	case depth > extentMaxDepth || (want >= 0 && depth != want):
		return corruptf("inode %d: extent node depth %d (want %d)", w.ino, depth, want)
	}
	w.nodes++
	if w.nodes > maxExtentNodes {
		return corruptf("inode %d: more than %d extent tree blocks", w.ino, maxExtentNodes)
	}
	bc := w.fs.sb.BlocksCount
	for i := range entries {
		e := b[(1+i)*extentEntrySize:]
		if depth == 0 {
			x := Extent{
				Logical:  le.Uint32(e),
				Len:      uint32(le.Uint16(e[4:])),
				Physical: uint64(le.Uint16(e[6:]))<<32 | uint64(le.Uint32(e[8:])),
			}
			if x.Len > extentInitMax {
				x.Len, x.Unwritten = x.Len-extentInitMax, true
			}
			if x.Physical >= bc || uint64(x.Len) > bc-x.Physical {
				return corruptf("inode %d: extent [%d, +%d) beyond the %d-block disk", w.ino, x.Physical, x.Len, bc)
			}
			if x.Len > 0 {
				w.out = append(w.out, x)
			}
			continue
		}
		leaf := uint64(le.Uint16(e[8:]))<<32 | uint64(le.Uint32(e[4:]))
		if leaf >= bc {
			return corruptf("inode %d: extent tree block %d beyond the %d-block disk", w.ino, leaf, bc)
		}
		blk := make([]byte, w.fs.sb.BlockSize)
		if err := w.fs.readBlocks(blk, leaf); err != nil {
			return fmt.Errorf("inode %d: extent tree block %d: %w", w.ino, leaf, err)
		}
		if err := w.node(blk, depth-1); err != nil {
			return err
		}
	}
	return nil
}

// Range is a byte range of the disk.
type Range struct {
	Offset int64
	Length int64
}

// DataRanges returns where the bytes of in's data are on the disk, in file order: its
// written extents up to the block that holds its last byte. Unwritten extents and holes have
// no data and give no range.
func (fs *FS) DataRanges(in *Inode) ([]Range, error) {
	exts, err := fs.Extents(in)
	if err != nil {
		return nil, err
	}
	bs := uint64(fs.sb.BlockSize)
	fileBlocks := (in.Size + bs - 1) / bs
	var out []Range
	for _, x := range exts {
		if x.Unwritten || uint64(x.Logical) >= fileBlocks {
			continue
		}
		n := min(uint64(x.Len), fileBlocks-uint64(x.Logical))
		r := Range{Offset: int64(x.Physical * bs), Length: int64(n * bs)}
		if k := len(out) - 1; k >= 0 && out[k].Offset+out[k].Length == r.Offset {
			out[k].Length += r.Length
			continue
		}
		out = append(out, r)
	}
	return out, nil
}
