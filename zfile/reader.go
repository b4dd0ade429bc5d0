package zfile

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Reader reads a ZFile at random offsets. It is immutable after Open, so any number of
// goroutines may call ReadAt at once.
type Reader struct {
	src     io.ReaderAt
	name    string
	base    int64 // where the ZFile starts in src (a tar payload offset, or 0)
	dataOff int64 // where block 0 starts, relative to base
	size    int64 // uncompressed size
	shift   uint  // log2 of the block size
	alg     Algorithm
	verify  bool // blocks carry a CRC
	jt      jumpTable
	info    Info
}

// Size is the uncompressed size.
func (r *Reader) Size() int64 { return r.size }

// Info returns the header/trailer fields.
func (r *Reader) Info() Info { return r.info }

// rawLen is the uncompressed length of block i (the last one may be short).
func (r *Reader) rawLen(i int) int64 {
	bs := int64(1) << r.shift
	return min(bs, r.size-int64(i)<<r.shift)
}

// ReadAt reads len(p) uncompressed bytes at off, with io.ReaderAt semantics: fewer bytes and
// io.EOF at the end of the data. A block that fails its CRC or does not decode is an
// ErrCorrupt error; the returned count then covers only the blocks before it.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("zfile: %s: ReadAt at negative offset %d", r.name, off)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := len(p)
	if rem := r.size - off; int64(want) > rem {
		want = int(rem)
	}
	n, err := r.read(p[:want], off)
	if err == nil && want < len(p) {
		err = io.EOF
	}
	return n, err
}

// read fills p (inside the data) from off.
func (r *Reader) read(p []byte, off int64) (int, error) {
	comp := getCompBuf()
	defer putCompBuf(comp)
	var blk *blockBuf // taken on the first partial block
	defer func() {
		if blk != nil {
			putBlockBuf(blk)
		}
	}()
	end := off + int64(len(p))
	last := int((end - 1) >> r.shift)
	done := 0
	for b := int(off >> r.shift); b <= last; {
		// As many whole blocks as fit in the buffer, so a request is one read of src.
		start := r.jt.offset(b)
		e := b + 1
		for e <= last && r.jt.offset(e+1)-start <= compBufSize {
			e++
		}
		stored := comp[:r.jt.offset(e)-start]
		if err := r.readStored(stored, start); err != nil {
			return done, err
		}
		n, err := r.decodeBlocks(p[done:], off+int64(done), b, e, stored, &blk)
		done += n
		if err != nil {
			return done, err
		}
		b = e
	}
	return done, nil
}

// decodeBlocks fills p, which starts at uncompressed offset off inside block b, from the
// stored bytes of blocks [b, e), stopping at the end of p or of block e-1. It returns the
// bytes filled. *blk is a block buffer, taken from the pool if nil and needed.
func (r *Reader) decodeBlocks(p []byte, off int64, b, e int, stored []byte, blk **blockBuf) (int, error) {
	end := off + int64(len(p))
	base := r.jt.offset(b)
	done := 0
	for i := b; i < e; i++ {
		s := stored[r.jt.offset(i)-base : r.jt.offset(i+1)-base]
		rawOff := int64(i) << r.shift
		rawEnd := rawOff + r.rawLen(i)
		lo, hi := max(off, rawOff), min(end, rawEnd)
		if lo >= hi {
			break
		}
		if lo == rawOff && hi == rawEnd {
			// The whole block is wanted: decompress straight into the caller's buffer.
			if err := r.decode(i, s, p[lo-off:hi-off:hi-off]); err != nil {
				return done, err
			}
		} else {
			if *blk == nil {
				*blk = getBlockBuf()
			}
			raw := (*blk)[:rawEnd-rawOff]
			if err := r.decode(i, s, raw); err != nil {
				return done, err
			}
			copy(p[lo-off:hi-off], raw[lo-rawOff:])
		}
		done += int(hi - lo)
	}
	return done, nil
}

// readStored reads stored bytes at data offset off.
func (r *Reader) readStored(buf []byte, off int64) error {
	return readFull(r.src, buf, r.base+r.dataOff+off, r.name, "blocks")
}

// decode checks block i's CRC and decompresses it into dst, which is its raw length.
func (r *Reader) decode(i int, stored, dst []byte) error {
	blk := stored
	if r.verify {
		blk = stored[:len(stored)-4]
		want := binary.LittleEndian.Uint32(stored[len(blk):])
		if got := blockCRC(blk); got != want {
			return blockCorrupt(r.name, r.blockFileOffset(i), i,
				fmt.Sprintf("block CRC is %#08x, computed %#08x", want, got), nil)
		}
	}
	n, err := decodeBlock(r.alg, blk, dst)
	if err != nil {
		return blockCorrupt(r.name, r.blockFileOffset(i), i, r.alg.String()+" decode failed", err)
	}
	if n != len(dst) {
		return blockCorrupt(r.name, r.blockFileOffset(i), i,
			fmt.Sprintf("decoded to %d bytes, want %d", n, len(dst)), nil)
	}
	return nil
}

// blockFileOffset is where block i's stored bytes start in the opened file.
func (r *Reader) blockFileOffset(i int) int64 { return r.base + r.dataOff + r.jt.offset(i) }
