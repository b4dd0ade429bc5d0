package engine

import (
	"github.com/dadi-dev/dadi/index"
	"github.com/dadi-dev/dadi/lsmt"
)

// Merge flattens an image (its lowers and its upper, if any) into one read-only layer at path,
// as overlaybd-merge does. In the output each entry's tag is its source layer counted from
// the top (0 = top), which is what overlaybd-merge leaves there. path may not be one of the
// image's files (ErrOutputIsInput).
func Merge(img *Image, path string, o lsmt.CommitOptions) (lsmt.CommitResult, error) {
	segs := append([]index.Segment(nil), img.merged.Segments()...)
	n := len(img.lowers)
	if img.upper != nil {
		up := img.upper.Segments()
		for i, s := range up {
			up[i] = s.WithTag(uint8(n))
		}
		segs = index.Overlay(segs, up, make([]index.Segment, 0, len(segs)+len(up)))
		n++
	}
	top := n - 1
	for i, s := range segs {
		segs[i] = s.WithTag(uint8(top - int(s.Tag())))
	}
	read := func(s index.Segment, skip uint64, p []byte) error {
		pos := top - int(s.Tag())
		off := int64(s.MOffset()+skip) * lsmt.SectorSize
		if pos == len(img.lowers) {
			return img.upper.ReadData(p, off)
		}
		return img.lowers[pos].ReadAt(p, off)
	}
	return lsmt.WriteLayer(path, img.Files(), segs, img.size, o, read)
}
