package zfile

import (
	"fmt"
	"io"
)

// StoredExtent says which stored bytes ReadAt(p, off) with len(p) == length needs: n bytes
// at fileOff of the file given to Open. A caller that reads files its own way (an io_uring
// queue) reads them, then calls DecodeAt. n is 0 when the range is empty or past the end.
func (r *Reader) StoredExtent(off int64, length int) (fileOff int64, n int) {
	if off < 0 || length <= 0 || off >= r.size {
		return 0, 0
	}
	end := min(off+int64(length), r.size)
	b, e := int(off>>r.shift), int((end-1)>>r.shift)+1
	start := r.jt.offset(b)
	return r.base + r.dataOff + start, int(r.jt.offset(e) - start)
}

// DecodeAt is ReadAt for a caller that has read the stored bytes itself: stored must be the
// StoredExtent(off, len(p)) bytes. It checks CRCs and decompresses like ReadAt, with the same
// io.EOF semantics, and allocates nothing.
func (r *Reader) DecodeAt(p []byte, off int64, stored []byte) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("zfile: %s: DecodeAt at negative offset %d", r.name, off)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= r.size {
		return 0, io.EOF
	}
	fileOff, n := r.StoredExtent(off, len(p))
	if len(stored) != n {
		return 0, fmt.Errorf("zfile: %s: DecodeAt given %d stored bytes, the range needs %d at %d", r.name, len(stored), n, fileOff)
	}
	want := int(min(int64(len(p)), r.size-off))
	end := off + int64(want)
	var blk *blockBuf
	k, err := r.decodeBlocks(p[:want], off, int(off>>r.shift), int((end-1)>>r.shift)+1, stored, &blk)
	if blk != nil {
		putBlockBuf(blk)
	}
	if err == nil && want < len(p) {
		err = io.EOF
	}
	return k, err
}
