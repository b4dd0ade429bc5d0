package lsmt

import (
	"fmt"
	"io"

	"github.com/dadi-dev/dadi/index"
	"github.com/dadi-dev/dadi/zfile"
)

// ROLayer is an open read-only LSMT layer: committed, merged or sealed, plain or inside a
// ZFile and/or overlaybd's tar.
type ROLayer struct {
	name    string
	src     Source
	r       io.ReaderAt // the LSMT bytes, after unwrapping
	size    int64       // of the LSMT bytes
	Header  Header
	Trailer Header
	Index   *index.Static
	// Tar and ZFile say how the LSMT bytes were wrapped; TarOffset is where the tar's
	// payload (the ZFile or LSMT bytes) starts in the source, 0 without a tar. The tar is
	// parsed once, here: remote re-reads and trace records use TarOffset.
	Tar       bool
	TarOffset int64
	ZFile     *zfile.Reader
}

// OpenLayerFile opens a local layer file.
func OpenLayerFile(path string) (*ROLayer, error) {
	src, err := OpenFileSource(path)
	if err != nil {
		return nil, err
	}
	l, err := OpenLayer(src)
	if err != nil {
		src.Close()
		return nil, err
	}
	return l, nil
}

// OpenLayer opens the layer in src, unwrapping a tar, then a ZFile, then reading the LSMT
// header, trailer and index with every check the format allows. On success the layer owns
// src (Close closes it).
func OpenLayer(src Source) (*ROLayer, error) {
	name := src.Name()
	l := &ROLayer{name: name, src: src, r: src, size: src.Size()}
	off, n, ok, err := zfile.UnwrapTar(src, src.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if ok {
		l.Tar, l.TarOffset = true, off
		l.r, l.size = io.NewSectionReader(src, off, n), n
	}
	head := make([]byte, 512)
	if l.size < int64(len(head)) {
		return nil, corruptf(name, "%d bytes is too small for an LSMT layer", l.size)
	}
	if err := ReadFull(l.r, name, head, 0); err != nil {
		return nil, err
	}
	if zfile.IsZFile(head) {
		z, err := zfile.Open(l.r, l.size, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		l.ZFile, l.r, l.size = z, z, z.Size()
	}
	if err := l.parse(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *ROLayer) parse() error {
	name := l.name
	if l.size < 2*HeaderSize {
		return corruptf(name, "%d bytes is too small for an LSMT header and trailer", l.size)
	}
	buf := make([]byte, HeaderSize)
	if err := ReadFull(l.r, name, buf, 0); err != nil {
		return err
	}
	h, err := ParseHeader(buf)
	if err != nil {
		return fmt.Errorf("%s: header at offset 0: %w", name, err)
	}
	if h.Flags&FlagHeader == 0 || h.Flags&FlagDataFile == 0 {
		return corruptf(name, "header at offset 0 has flags %#x, want a data-file header", h.Flags)
	}
	// A sealed-in-place file keeps the writable header (0x3): the trailer is what counts.
	toff := l.size - HeaderSize
	if err := ReadFull(l.r, name, buf, toff); err != nil {
		return err
	}
	t, err := ParseHeader(buf)
	if err != nil {
		return fmt.Errorf("%s: trailer missing (no LSMT trailer at offset %d; a writable layer opens with its index file): %w", name, toff, err)
	}
	if t.Flags&(FlagHeader|FlagDataFile|FlagSealed) != FlagDataFile|FlagSealed {
		return corruptf(name, "trailer at offset %d has flags %#x, want data file + sealed (0x6)", toff, t.Flags)
	}
	l.Header, l.Trailer = h, t
	if err := checkIndexBounds(name, t, l.size); err != nil {
		return err
	}
	segs, err := readROIndex(l.r, name, t.IndexOffset, t.IndexSize)
	if err != nil {
		return err
	}
	st, err := index.NewStatic(segs)
	if err != nil {
		return fmt.Errorf("%s: index at offset %d: %w: %w", name, t.IndexOffset, ErrCorrupt, err)
	}
	l.Index = st
	return nil
}

// indexChunkEntries is how many index entries are read at a time. Reading in bounded chunks
// makes memory grow with entries that were read and checked, never with the count a trailer
// claims: inside a ZFile the LSMT size itself is only a claim, which the blocks may not back.
const indexChunkEntries = 4096

// readROIndex reads and checks the n entries of a committed index at byte offset off, which
// checkIndexBounds has placed inside the data area.
func readROIndex(r io.ReaderAt, name string, off, n uint64) ([]index.Segment, error) {
	buf := make([]byte, min(n, indexChunkEntries)*index.EntrySize)
	segs := make([]index.Segment, 0, min(n, indexChunkEntries))
	for done := uint64(0); done < n; {
		k := min(n-done, indexChunkEntries)
		p := buf[:k*index.EntrySize]
		at := off + done*index.EntrySize
		if err := ReadFull(r, name, p, int64(at)); err != nil {
			return nil, err
		}
		var err error
		if segs, err = appendROIndex(segs, p, done, off/SectorSize); err != nil {
			return nil, fmt.Errorf("%s: index at offset %d: %w", name, off, err)
		}
		done += k
	}
	return segs, nil
}

// appendROIndex decodes the entries in raw (entry numbers from first on) and appends them to
// segs: padding dropped, every other entry non-empty, above the previous one and, unless
// zeroed, mapped inside the data area [HeaderSize, dataEnd) (in sectors). Checking the order
// here too (index.NewStatic does it again) stops a long garbage index at its first chunk.
// Tags are cleared: in memory the tag is the layer's position, set when stacking.
func appendROIndex(segs []index.Segment, raw []byte, first, dataEnd uint64) ([]index.Segment, error) {
	for i := 0; i+index.EntrySize <= len(raw); i += index.EntrySize {
		s := index.Decode(raw[i:])
		if s.IsPadding() {
			continue
		}
		n := first + uint64(i/index.EntrySize)
		if s.Length() == 0 {
			return nil, fmt.Errorf("%w: entry %d %v has length 0", ErrCorrupt, n, s)
		}
		if k := len(segs) - 1; k >= 0 && s.Offset() < segs[k].End() {
			if s.Offset() < segs[k].Offset() {
				return nil, fmt.Errorf("%w: entry %d %v is below the entry before it %v (not sorted)", ErrCorrupt, n, s, segs[k])
			}
			return nil, fmt.Errorf("%w: entry %d %v overlaps the entry before it %v", ErrCorrupt, n, s, segs[k])
		}
		if !s.Zeroed() && (s.MOffset() < HeaderSize/SectorSize || s.MOffset()+s.Length() > dataEnd) {
			return nil, fmt.Errorf("%w: entry %d %v maps sectors [%d, %d) outside the data area [%d, %d)",
				ErrCorrupt, n, s, s.MOffset(), s.MOffset()+s.Length(), HeaderSize/SectorSize, dataEnd)
		}
		segs = append(segs, s.WithTag(0))
	}
	return segs, nil
}

// Name is the source's name.
func (l *ROLayer) Name() string { return l.name }

// VirtualSize is the disk size the layer records (trailer, else header).
func (l *ROLayer) VirtualSize() int64 {
	if l.Trailer.VirtualSize != 0 {
		return int64(l.Trailer.VirtualSize)
	}
	return int64(l.Header.VirtualSize)
}

// ReadAt reads the layer's LSMT bytes (after unwrapping) at off. A short read is ErrCorrupt.
func (l *ROLayer) ReadAt(p []byte, off int64) error {
	if err := ReadFull(l.r, l.name, p, off); err != nil {
		return l.refetchCorrupt(p, off, err) // a remote layer reads damaged bytes again (refetch.go)
	}
	return nil
}

// Size is the length of the layer's LSMT bytes, after unwrapping tar and ZFile.
func (l *ROLayer) Size() int64 { return l.size }

// Source is where the layer's bytes come from: its file or blob, wrappers and all. Prefetch
// reads it as a trace records it (blob offsets).
func (l *ROLayer) Source() Source { return l.src }

// File is the local file the layer was opened from, or "" for any other Source.
func (l *ROLayer) File() string {
	if s, ok := l.src.(*fileSource); ok {
		return s.Name()
	}
	return ""
}

// Close closes the source.
func (l *ROLayer) Close() error { return l.src.Close() }
