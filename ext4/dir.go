package ext4

import (
	"encoding/binary"
	"fmt"
	iofs "io/fs"
	"strings"
)

const (
	maxSymlinks = 40      // hops in one lookup, as the kernel's ELOOP limit
	maxDirBytes = 1 << 32 // a directory larger than this is taken as corrupt
	maxLinkLen  = 4096
)

func (in *Inode) isFastSymlink() bool {
	return in.IsSymlink() && in.Flags&flagExtents == 0 && in.Size < inodeBlockLen
}

// readData reads the first in.Size bytes of in's data (at most limit), holes as zeros.
func (fs *FS) readData(in *Inode, limit uint64) ([]byte, error) {
	if in.Size > limit {
		return nil, corruptf("inode %d: %d bytes, more than %d", in.Ino, in.Size, limit)
	}
	if in.Flags&flagInlineData != 0 {
		return nil, fmt.Errorf("inode %d: inline data: %w", in.Ino, ErrNotSupported)
	}
	exts, err := fs.Extents(in)
	if err != nil {
		return nil, err
	}
	bs := uint64(fs.sb.BlockSize)
	out := make([]byte, (in.Size+bs-1)/bs*bs)
	for _, x := range exts {
		start := uint64(x.Logical) * bs
		if x.Unwritten || start >= uint64(len(out)) {
			continue
		}
		n := min(uint64(x.Len)*bs, uint64(len(out))-start)
		if err := fs.readBlocks(out[start:start+n], x.Physical); err != nil {
			return nil, fmt.Errorf("inode %d: %w", in.Ino, err)
		}
	}
	return out[:in.Size], nil
}

// DirEntry is one name in a directory.
type DirEntry struct {
	Name string
	Ino  uint32
}

// ReadDir lists a directory's entries, "." and ".." included. An htree directory is read
// as the linear blocks it also is: its index nodes look like empty entries.
func (fs *FS) ReadDir(in *Inode) ([]DirEntry, error) {
	var out []DirEntry
	err := fs.walkDir(in, func(name []byte, ino uint32) bool {
		out = append(out, DirEntry{Name: string(name), Ino: ino})
		return true
	})
	return out, err
}

// walkDir calls f for each live entry of a directory until f returns false. It reads the
// directory a block at a time, so a damaged size costs no memory.
func (fs *FS) walkDir(dir *Inode, f func(name []byte, ino uint32) bool) error {
	if !dir.IsDir() {
		return fmt.Errorf("inode %d: not a directory", dir.Ino)
	}
	if dir.Size > maxDirBytes {
		return corruptf("directory %d: %d bytes", dir.Ino, dir.Size)
	}
	if dir.Flags&flagInlineData != 0 {
		return fmt.Errorf("inode %d: inline-data directory: %w", dir.Ino, ErrNotSupported)
	}
	exts, err := fs.Extents(dir)
	if err != nil {
		return err
	}
	bs := uint64(fs.sb.BlockSize)
	nblocks := (dir.Size + bs - 1) / bs
	block := make([]byte, bs)
	for _, x := range exts {
		for i := uint64(0); i < uint64(x.Len) && uint64(x.Logical)+i < nblocks; i++ {
			if x.Unwritten {
				break
			}
			if err := fs.readBlocks(block, x.Physical+i); err != nil {
				return fmt.Errorf("directory %d: %w", dir.Ino, err)
			}
			more, err := fs.walkBlock(dir.Ino, block, f)
			if err != nil || !more {
				return err
			}
		}
	}
	return nil
}

// walkBlock calls f for each live entry of one directory block; false if f asked to stop.
func (fs *FS) walkBlock(dirIno uint32, block []byte, f func(name []byte, ino uint32) bool) (bool, error) {
	le := binary.LittleEndian
	fileType := fs.sb.FeatureIncompat&incompatFiletype != 0
	for off := 0; off < len(block); {
		if len(block)-off < 8 {
			return false, corruptf("directory %d: entry at %d overruns its block", dirIno, off)
		}
		e := block[off:]
		ino, recLen := le.Uint32(e), int(le.Uint16(e[4:]))
		if len(block) >= 65536 && (recLen == 65535 || recLen == 0) {
			recLen = 65536 // how a 64 KiB block's whole-block entry is stored
		}
		nameLen := int(e[6])
		if !fileType {
			nameLen = int(le.Uint16(e[6:]))
		}
		if recLen < 8 || recLen%4 != 0 || recLen > len(e) || 8+nameLen > recLen {
			return false, corruptf("directory %d: entry at %d: record length %d, name length %d", dirIno, off, recLen, nameLen)
		}
		if ino != 0 && nameLen > 0 {
			if ino > fs.sb.InodesCount {
				return false, corruptf("directory %d: entry %q: inode %d out of range", dirIno, e[8:8+nameLen], ino)
			}
			if !f(e[8:8+nameLen], ino) {
				return false, nil
			}
		}
		off += recLen
	}
	return true, nil
}

// lookupIn finds name in directory dir; 0 if it is not there.
func (fs *FS) lookupIn(dir *Inode, name string) (uint32, error) {
	var found uint32
	err := fs.walkDir(dir, func(n []byte, ino uint32) bool {
		if string(n) == name {
			found = ino
			return false
		}
		return true
	})
	return found, err
}

// Lookup resolves an absolute path to its inode, following symlinks (the last component's
// too). A missing name is an fs.ErrNotExist error.
func (fs *FS) Lookup(path string) (Inode, error) {
	if !strings.HasPrefix(path, "/") {
		return Inode{}, fmt.Errorf("%q: not an absolute path", path)
	}
	hops := 0
	return fs.resolve(path, &hops)
}

// resolve walks path from the root. The directories walked are kept with their names, so
// ".." goes back one and a relative symlink target is resolved from the symlink's directory.
func (fs *FS) resolve(path string, hops *int) (Inode, error) {
	root, err := fs.ReadInode(RootIno)
	if err != nil {
		return Inode{}, err
	}
	if !root.IsDir() {
		return Inode{}, corruptf("root inode is not a directory")
	}
	type step struct {
		name string
		in   Inode
	}
	stack := []step{{"", root}}
	parts := strings.Split(path, "/")
	for i, name := range parts {
		cur := stack[len(stack)-1].in
		switch {
		case name == "" || name == ".":
			continue
		case !cur.IsDir():
			return Inode{}, fmt.Errorf("%s: %w", path, iofs.ErrNotExist)
		case name == "..":
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		ino, err := fs.lookupIn(&cur, name)
		if err != nil {
			return Inode{}, err
		}
		if ino == 0 {
			return Inode{}, fmt.Errorf("%s: %w", path, iofs.ErrNotExist)
		}
		next, err := fs.ReadInode(ino)
		if err != nil {
			return Inode{}, err
		}
		if next.IsSymlink() {
			if *hops++; *hops > maxSymlinks {
				return Inode{}, fmt.Errorf("%s: too many levels of symlinks", path)
			}
			target, err := fs.readLink(&next)
			if err != nil {
				return Inode{}, err
			}
			if !strings.HasPrefix(target, "/") {
				var dir []string
				for _, s := range stack[1:] {
					dir = append(dir, s.name)
				}
				target = "/" + strings.Join(dir, "/") + "/" + target
			}
			return fs.resolve(target+"/"+strings.Join(parts[i+1:], "/"), hops)
		}
		stack = append(stack, step{name, next})
	}
	return stack[len(stack)-1].in, nil
}

func (fs *FS) readLink(in *Inode) (string, error) {
	if in.isFastSymlink() {
		return string(in.Block[:in.Size]), nil
	}
	b, err := fs.readData(in, maxLinkLen)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
