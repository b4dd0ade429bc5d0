package lsmt

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dadi-dev/dadi/internal/atomicfile"
)

// CreateOptions describe a new writable layer.
type CreateOptions struct {
	VirtualSize int64  // bytes, a multiple of 512
	UUID        string // empty: a random one
	ParentUUID  string // empty: none (written as NullUUID)
	Sparse      bool   // one sparse data file instead of an append log
}

// CreateRW makes a new writable layer: a data file and an index file with overlaybd's headers
// (data 0x3, index 0x1 with index_offset 4096; sparse data 0x13). Existing files are not
// overwritten (each is created exclusively; a failure removes only what this call created),
// and data and index must be different files.
func CreateRW(dataPath, indexPath string, o CreateOptions) error {
	if err := atomicfile.Check([]string{dataPath, indexPath}, nil); err != nil {
		return err
	}
	if o.VirtualSize <= 0 || o.VirtualSize%SectorSize != 0 {
		return fmt.Errorf("virtual size %d: must be a positive multiple of %d", o.VirtualSize, SectorSize)
	}
	if o.VirtualSize > MaxVirtualSize {
		return fmt.Errorf("virtual size %d: too large for LSMT (at most %d bytes, 2^50-1 sectors)", o.VirtualSize, MaxVirtualSize)
	}
	if err := ValidateUUID(o.UUID); err != nil {
		return err
	}
	if err := ValidateUUID(o.ParentUUID); err != nil {
		return fmt.Errorf("parent %w", err)
	}
	if o.UUID == "" {
		o.UUID = NewUUID()
	}
	h := Header{Flags: FlagHeader | FlagDataFile, VirtualSize: uint64(o.VirtualSize), UUID: o.UUID, ParentUUID: o.ParentUUID}
	if o.Sparse {
		h.Flags |= FlagSparseRW
	}
	if err := writeNew(dataPath, h.Marshal(), sparseSize(o)); err != nil {
		return err
	}
	ih := h
	ih.Flags = FlagHeader | h.Flags&FlagSparseRW
	ih.IndexOffset = HeaderSize
	if err := writeNew(indexPath, ih.Marshal(), 0); err != nil {
		os.Remove(dataPath)
		return err
	}
	if err := syncDir(filepath.Dir(dataPath)); err != nil {
		return err
	}
	return syncDir(filepath.Dir(indexPath))
}

// sparseSize is the size a sparse data file gets at creation: header plus the whole disk,
// all of it a hole.
func sparseSize(o CreateOptions) int64 {
	if !o.Sparse {
		return 0
	}
	return HeaderSize + o.VirtualSize
}

func writeNew(path string, header []byte, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(header)
	if err == nil && size > 0 {
		err = f.Truncate(size)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// NewUUID returns a random (version 4) uuid in upper case, as overlaybd-create makes.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
