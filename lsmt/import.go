package lsmt

import (
	"bytes"
	"io"
	"os"
	"path/filepath"

	"github.com/dadi-dev/dadi/internal/atomicfile"
)

// ImportRaw makes a read-only layer at layer from the raw disk image in base, as overlaybd-create
// then overlaybd-commit with o would after the disk's bytes were written to the new layer:
// a scratch writable layer beside layer is filled and committed. All-zero MiB chunks are left
// unwritten, as a converted image leaves holes holes; a size that is not a sector multiple is
// padded with zeros.
func ImportRaw(base, layer string, o CommitOptions) (err error) {
	if err := atomicfile.Check([]string{layer}, []string{base}); err != nil {
		return err
	}
	f, err := os.Open(base)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := (st.Size() + SectorSize - 1) / SectorSize * SectorSize
	tmp := layer + ".build"
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	data, index := filepath.Join(tmp, "data"), filepath.Join(tmp, "index")
	if err := CreateRW(data, index, CreateOptions{VirtualSize: size}); err != nil {
		return err
	}
	up, err := OpenUpper(data, index, true)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := up.Close(); err == nil {
			err = cerr
		}
	}()
	buf, zero := make([]byte, 1<<20), make([]byte, 1<<20)
	for off := int64(0); ; {
		n, rerr := io.ReadFull(f, buf)
		if n > 0 && !bytes.Equal(buf[:n], zero[:n]) {
			// The last chunk of a file whose size is not a sector multiple is padded.
			m := (n + SectorSize - 1) / SectorSize * SectorSize
			clear(buf[n:m])
			if err := up.WriteAt(buf[:m], off); err != nil {
				return err
			}
		}
		off += int64(n)
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if err := up.Flush(); err != nil {
		return err
	}
	_, err = Commit(up, layer, o)
	return err
}
