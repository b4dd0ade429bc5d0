package lsmt

import (
	"fmt"
	"io"
	"os"
)

// Source is the bytes of one layer file. A local file today; a registry blob read by HTTP
// range (fetch/) plugs in through the same interface.
type Source interface {
	io.ReaderAt
	Size() int64
	// Name identifies the source in errors (a path, a digest).
	Name() string
	Close() error
}

type fileSource struct {
	*os.File
	size int64
}

// OpenFileSource opens a local file as a Source.
func OpenFileSource(path string) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	return &fileSource{File: f, size: st.Size()}, nil
}

func (s *fileSource) Size() int64 { return s.size }

// ReadFull reads len(p) bytes at off or fails; a short read of a layer is corruption, not EOF.
func ReadFull(r io.ReaderAt, name string, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		return corruptf(name, "short read: %d of %d bytes at offset %d", n, len(p), off)
	}
	return fmt.Errorf("%s: read %d bytes at offset %d: %w", name, len(p), off, err)
}
