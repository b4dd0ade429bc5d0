package lsmt

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// fdatasync makes a file's data (and the size that reaches it) durable.
func fdatasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != unix.EINTR {
			return err
		}
	}
}

// punchHole deallocates [off, off+n) of f, keeping its size; the range reads as zeros.
func punchHole(f *os.File, off, n int64) error {
	return unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, n)
}

// dataExtents calls fn for each allocated range [start, end) of f at or after from, found
// with SEEK_DATA / SEEK_HOLE.
func dataExtents(f *os.File, from, size int64, fn func(start, end int64)) error {
	fd := int(f.Fd())
	for pos := from; pos < size; {
		start, err := unix.Seek(fd, pos, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			return nil // no data after pos
		}
		if err != nil {
			return err
		}
		end, err := unix.Seek(fd, start, unix.SEEK_HOLE)
		if err != nil {
			return err
		}
		end = min(end, size)
		if end > start {
			fn(start, end)
		}
		pos = end
	}
	return nil
}

// syncDir makes a rename or create in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// blockSize is the allocation unit of the file system holding a file (at least 512).
func blockSize(st os.FileInfo) int64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok && s.Blksize >= SectorSize {
		return int64(s.Blksize)
	}
	return 4096
}
