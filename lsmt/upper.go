package lsmt

import (
	"github.com/dadi-dev/dadi/index"
)

// Upper is a writable layer: *RWLayer or *SparseLayer.
type Upper interface {
	Lookup(offset, length uint64, dst []index.Extent) []index.Extent
	ReadData(p []byte, off int64) error
	WriteAt(p []byte, off int64) error
	Flush() error
	Segments() []index.Segment
	VirtualSize() int64
	Name() string
	Close() error
}

// OpenUpper opens a writable layer, append-only or sparse as its data header says.
func OpenUpper(dataPath, indexPath string, writable bool) (Upper, error) {
	kind, err := FileKind(dataPath)
	if err != nil {
		return nil, err
	}
	if kind == KindSparse {
		return OpenSparse(dataPath, writable)
	}
	return OpenRW(dataPath, indexPath, writable)
}

// UpperFiles are the files of a writable layer: the data and index of an append-only one,
// the one file of a sparse one.
func UpperFiles(u Upper) []string {
	switch u := u.(type) {
	case *RWLayer:
		return []string{u.dataName, u.indexName}
	case *SparseLayer:
		return []string{u.name}
	}
	return []string{u.Name()}
}
