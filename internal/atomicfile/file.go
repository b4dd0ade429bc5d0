package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File is an output being written. Its *os.File is the temporary file; write through it (it
// is an io.Writer and io.WriterAt), then end with Commit or Abort, never Close.
type File struct {
	*os.File
	dest string // where Commit renames it
	done bool
}

// tempTries bounds the search for an unused temporary name.
const tempTries = 100

// Create checks that path is not the same file as any of inputs (see Check) and that, if it
// exists, it is a regular file; then it creates an empty temporary file in path's directory
// with permissions perm (less the umask), or those of the existing file. A symlink at path
// is followed: the file it points to is the one replaced.
func Create(path string, perm fs.FileMode, inputs ...string) (*File, error) {
	if err := Check([]string{path}, inputs); err != nil {
		return nil, err
	}
	dest, keep := path, false
	if st, err := os.Stat(path); err == nil {
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("refusing to replace %s (%v): %w", path, st.Mode().Type(), ErrNotRegular)
		}
		perm, keep = st.Mode().Perm(), true
		if dest, err = filepath.EvalSymlinks(path); err != nil {
			return nil, err
		}
	}
	dir, base := filepath.Split(dest)
	var rnd [6]byte
	for range tempTries {
		rand.Read(rnd[:])
		tmp := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(rnd[:]))
		f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", path, err)
		}
		if keep {
			// The umask applied at creation; an existing file's mode is kept as it was.
			if err := f.Chmod(perm); err != nil {
				f.Close()
				os.Remove(tmp)
				return nil, err
			}
		}
		return &File{File: f, dest: dest}, nil
	}
	return nil, fmt.Errorf("create %s: no unused temporary name in %s", path, dir)
}

// Destination is the path Commit will replace.
func (f *File) Destination() string { return f.dest }

// Commit makes the output durable and puts it in place: fsync, close, rename over the
// destination, fsync the directory. On failure the temporary file is removed and the
// destination is as it was (unless only the directory fsync failed: then the rename is done).
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("%s: already committed or aborted", f.dest)
	}
	f.done = true
	tmp := f.File.Name()
	err := f.File.Sync()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.dest)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.dest, err)
	}
	if err := syncDir(filepath.Dir(f.dest)); err != nil {
		return fmt.Errorf("write %s: %w", f.dest, err)
	}
	return nil
}

// Abort throws the output away: it closes and removes the temporary file and leaves the
// destination alone. After Commit it does nothing, so `defer f.Abort()` is always right.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.File.Name())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteFile writes b to path the way Create and Commit do, after checking path against
// inputs.
func WriteFile(path string, b []byte, perm fs.FileMode, inputs ...string) error {
	f, err := Create(path, perm, inputs...)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}
