package zfile

import (
	"io"
	"os"
	"syscall"
)

// mmapFile is an io.ReaderAt over a read-only mapping: the benchmarks use it to read a file
// in page cache without a system call per read.
type mmapFile struct{ b []byte }

func mmapOpen(path string) (*mmapFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &mmapFile{b: b}, nil
}

func (m *mmapFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *mmapFile) Close() error { return syscall.Munmap(m.b) }
