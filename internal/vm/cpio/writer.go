package cpio

import (
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// Writer writes the "newc" cpio format (magic 070701), the only one the kernel's
// initramfs unpacker reads. Writing it here spares the host a cpio tool and lets the archive
// hold entries, such as /dev/console, that an unprivileged caller could not create on disk.
type Writer struct {
	w   io.Writer
	ino uint32
	err error
}

// NewWriter starts an archive on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w, ino: 1} }

// trailer names the entry that ends an archive.
const trailer = "TRAILER!!!"

// Mode bits of the file type, as cpio (and stat) encode them.
const (
	typeDir  = 0o040000
	typeReg  = 0o100000
	typeLink = 0o120000
	typeChar = 0o020000
)

// Dir adds a directory. Parents must be added first: the kernel does not create them.
func (c *Writer) Dir(name string, perm fs.FileMode) error {
	return c.entry(name, typeDir|uint32(perm.Perm()), 2, 0, 0, nil, 0)
}

// Bytes adds a regular file holding b.
func (c *Writer) Bytes(name string, perm fs.FileMode, b []byte) error {
	return c.File(name, perm, strings.NewReader(string(b)), int64(len(b)))
}

// File adds a regular file of exactly size bytes read from r.
func (c *Writer) File(name string, perm fs.FileMode, r io.Reader, size int64) error {
	return c.entry(name, typeReg|uint32(perm.Perm()), 1, 0, 0, r, size)
}

// Symlink adds a symbolic link to target.
func (c *Writer) Symlink(name, target string) error {
	return c.entry(name, typeLink|0o777, 1, 0, 0, strings.NewReader(target), int64(len(target)))
}

// CharDev adds a character device node.
func (c *Writer) CharDev(name string, perm fs.FileMode, major, minor uint32) error {
	return c.entry(name, typeChar|uint32(perm.Perm()), 1, major, minor, nil, 0)
}

// Close writes the trailer. It does not close the underlying writer.
func (c *Writer) Close() error {
	return c.entry(trailer, 0, 1, 0, 0, nil, 0)
}

func (c *Writer) entry(name string, mode, nlink, rmajor, rminor uint32, data io.Reader, size int64) error {
	if c.err != nil {
		return c.err
	}
	name = strings.TrimPrefix(name, "/")
	if size < 0 || size > 0xffffffff {
		return fmt.Errorf("cpio: %s: size %d does not fit newc's 32-bit field", name, size)
	}
	ino := c.ino
	c.ino++
	// Fields: ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor
	// namesize check. Owner root and mtime 0 keep archives reproducible.
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, nlink, 0, uint32(size), 0, 0, rmajor, rminor, len(name)+1, 0)
	// The name follows the 110-byte header NUL-terminated and padded so data starts on a
	// multiple of four; the data is padded the same way.
	head := hdr + name + "\x00" + strings.Repeat("\x00", pad4(len(hdr)+len(name)+1))
	if _, err := io.WriteString(c.w, head); err != nil {
		return c.fail(fmt.Errorf("cpio: writing header of %s: %w", name, err))
	}
	if data != nil {
		n, err := io.CopyN(c.w, data, size)
		if err != nil {
			return c.fail(fmt.Errorf("cpio: writing %s (%d of %d bytes): %w", name, n, size, err))
		}
	}
	if _, err := io.WriteString(c.w, strings.Repeat("\x00", pad4(int(size)))); err != nil {
		return c.fail(fmt.Errorf("cpio: padding %s: %w", name, err))
	}
	return nil
}

func (c *Writer) fail(err error) error {
	c.err = err
	return err
}

// pad4 is how many bytes bring n up to a multiple of four.
func pad4(n int) int { return (4 - n%4) % 4 }
