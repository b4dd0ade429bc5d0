package lsmt

import "fmt"

// Kind is which of overlaybd's layer kinds a file with an LSMT header at byte 0 is.
type Kind int

const (
	KindReadOnly   Kind = iota // committed, merged or sealed: the trailer holds the index
	KindAppendOnly             // writable: a data file with an index file beside it
	KindSparse                 // writable: one sparse file
)

// Kind tells the layer kinds apart by the header's flags, as overlaybd does.
func (h Header) Kind() Kind {
	switch {
	case h.Flags&FlagSealed != 0:
		return KindReadOnly
	case h.Flags&FlagSparseRW != 0:
		return KindSparse
	}
	return KindAppendOnly
}

// FileKind reads the LSMT header at the start of path and says its Kind. A file without one
// (a ZFile, a tar) is an ErrCorrupt error: only plain LSMT files have a kind to sniff.
func FileKind(path string) (Kind, error) {
	src, err := OpenFileSource(path)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	hb := make([]byte, 512)
	if err := ReadFull(src, path, hb, 0); err != nil {
		return 0, err
	}
	h, err := ParseHeader(hb)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return h.Kind(), nil
}
