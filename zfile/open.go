package zfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// Open opens the ZFile of size bytes in r, or the ZFile inside overlaybd's one-file tar.
// name is used in errors only. Open reads the header, trailer and index and checks them
// (digests, index CRC, every block length against the format's bound); it keeps r for
// ReadAt.
func Open(r io.ReaderAt, size int64, name string) (*Reader, error) {
	if size < 0 {
		return nil, fmt.Errorf("zfile: %s: negative size %d", name, size)
	}
	var head [htSpace]byte
	n := int(min(size, htSpace))
	if err := readFull(r, head[:n], 0, name, "header"); err != nil {
		return nil, err
	}
	if IsZFile(head[:n]) {
		return open(r, 0, size, name, false)
	}
	off, psize, ok, err := UnwrapTar(r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if ok && psize >= 24 {
		if err := readFull(r, head[:24], off, name, "header"); err != nil {
			return nil, err
		}
		if IsZFile(head[:24]) {
			return open(r, off, psize, name, true)
		}
	}
	return nil, fmt.Errorf("%s: %w", name, ErrNotZFile)
}

// readFull reads len(buf) bytes at off. A short read that is not an I/O error means the file
// is shorter than its size or index says: a truncated file, so ErrCorrupt.
func readFull(src io.ReaderAt, buf []byte, off int64, name, what string) error {
	k, err := src.ReadAt(buf, off)
	if k == len(buf) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return corruptf(name, off+int64(k), "truncated: %s: read %d of %d bytes at %d", what, k, len(buf), off)
	}
	return fmt.Errorf("zfile: %s: read %s (%d bytes at %d): %w", name, what, len(buf), off, err)
}

func open(src io.ReaderAt, base, zsize int64, name string, tarred bool) (*Reader, error) {
	if zsize < 2*htSpace {
		return nil, corruptf(name, base+zsize, "truncated: %d bytes, a ZFile has at least %d", zsize, 2*htSpace)
	}
	var buf [htSpace]byte
	if err := readFull(src, buf[:], base, name, "header"); err != nil {
		return nil, err
	}
	hdr, err := parseHeaderTrailer(&buf, name, base, "header")
	if err != nil {
		return nil, err
	}
	if hdr.Flags&flagHeader == 0 || hdr.Flags&flagDataFile == 0 {
		return nil, corruptf(name, base+offFlags, "header flags %#x: not a data file header", hdr.Flags)
	}
	trailerOff := zsize - htSpace
	if err := readFull(src, buf[:], base+trailerOff, name, "trailer"); err != nil {
		return nil, err
	}
	tr, err := parseHeaderTrailer(&buf, name, base+trailerOff, "trailer")
	if err != nil {
		// A file cut short has no trailer where the size says it should be.
		return nil, fmt.Errorf("%w (truncated or unfinished file?)", err)
	}
	if tr.Flags&(flagHeader|flagDataFile|flagSealed) != flagDataFile|flagSealed {
		return nil, corruptf(name, base+trailerOff+offFlags, "trailer flags %#x: not a sealed data file trailer", tr.Flags)
	}
	ht, htOff := tr, base+trailerOff
	if hdr.Flags&flagHeaderOverwrite != 0 {
		// overlaybd reads only the header then; the trailer must still say the same.
		ht, htOff = hdr, base
		if hdr.IndexOffset != tr.IndexOffset || hdr.IndexSize != tr.IndexSize || hdr.RawSize != tr.RawSize ||
			hdr.BlockSize != tr.BlockSize || hdr.Algorithm != tr.Algorithm || hdr.Verify != tr.Verify ||
			(hdr.Flags&tr.Flags&flagDigest != 0 && hdr.IndexCRC != tr.IndexCRC) {
			return nil, corrupt(name, base+trailerOff, "rewritten header and trailer disagree")
		}
	}
	r := &Reader{src: src, name: name, base: base, alg: ht.Algorithm, verify: ht.Verify == 1}
	if err := r.checkFields(&ht, htOff, zsize); err != nil {
		return nil, err
	}
	if err := r.loadIndex(&ht); err != nil {
		return nil, err
	}
	r.info = Info{
		Name:              name,
		Algorithm:         ht.Algorithm,
		Level:             int(ht.Level),
		BlockSize:         int(ht.BlockSize),
		Verify:            r.verify,
		Blocks:            r.jt.blocks(),
		Size:              r.size,
		FileSize:          zsize,
		DataSize:          r.jt.offset(r.jt.blocks()),
		MaxStored:         r.info.MaxStored,
		IndexOffset:       int64(ht.IndexOffset),
		IndexCRC:          ht.IndexCRC,
		HeaderFlags:       hdr.Flags,
		HeaderDigest:      hdr.Digest,
		TrailerFlags:      tr.Flags,
		TrailerDigest:     tr.Digest,
		HeaderOverwritten: hdr.Flags&flagHeaderOverwrite != 0,
		Digests:           ht.Flags&flagDigest != 0,
		TarWrapped:        tarred,
		PayloadOffset:     base,
		JumpTableBytes:    r.jt.bytes(),
	}
	return r, nil
}

// checkFields validates the index fields and options before anything is allocated from them.
// htOff is where ht was read, for error offsets.
func (r *Reader) checkFields(ht *headerTrailer, htOff, zsize int64) error {
	at := func(field int) int64 { return htOff + int64(field) }
	if ht.Flags&flagIndexCompressed != 0 {
		return fmt.Errorf("%s: compressed index: %w", r.name, ErrNotSupported)
	}
	if ht.UseDict != 0 || ht.DictSize != 0 {
		return fmt.Errorf("%s: compression dictionary: %w", r.name, ErrNotSupported)
	}
	if ht.Algorithm != LZ4 && ht.Algorithm != Zstd {
		return fmt.Errorf("%s: %v: %w", r.name, ht.Algorithm, ErrNotSupported)
	}
	if ht.Verify > 1 {
		return corruptf(r.name, at(offVerify), "verify byte %d", ht.Verify)
	}
	bs := ht.BlockSize
	if bs < minReadBlockSize || bs&(bs-1) != 0 {
		return corruptf(r.name, at(offBlockSize), "block size %d is not a power of two >= %d", bs, minReadBlockSize)
	}
	if bs > MaxBlockSize {
		return fmt.Errorf("%s: block size %d > %d: %w", r.name, bs, MaxBlockSize, ErrNotSupported)
	}
	r.shift = uint(bits.TrailingZeros32(bs))
	if ht.RawSize > 1<<62 {
		return corruptf(r.name, at(offRawSize), "original size %d", ht.RawSize)
	}
	r.size = int64(ht.RawSize)
	if want := (ht.RawSize + uint64(bs) - 1) >> r.shift; ht.IndexSize != want {
		return corruptf(r.name, at(offIndexSize), "index has %d blocks, %d bytes of %d-byte blocks need %d",
			ht.IndexSize, ht.RawSize, bs, want)
	}
	r.dataOff = htSpace
	// The index lies between the data and the trailer. Each term is compared with the file
	// size before it is used, so nothing wraps.
	trailerOff := uint64(zsize - htSpace)
	if ht.IndexOffset < uint64(r.dataOff) || ht.IndexOffset > trailerOff || ht.IndexSize > (trailerOff-ht.IndexOffset)/4 {
		return corruptf(r.name, at(offIndexOffset), "index of %d entries at %d does not fit before the trailer at %d",
			ht.IndexSize, ht.IndexOffset, trailerOff)
	}
	// And the data area holds every block in at least its smallest stored form: the block
	// count, and with it the jump table, is bounded by the bytes really stored.
	if data := ht.IndexOffset - uint64(r.dataOff); ht.IndexSize > data/uint64(r.minStored()) {
		return corruptf(r.name, at(offIndexSize), "%d blocks of at least %d stored bytes do not fit in the %d-byte data area",
			ht.IndexSize, r.minStored(), data)
	}
	return nil
}

// minStored is the fewest bytes a stored block takes: one of compressed data, plus its CRC.
func (r *Reader) minStored() int {
	if r.verify {
		return 5
	}
	return 1
}

// indexChunk is how many index entries loadIndex reads at a time, so that memory grows with
// entries read, never with a count that a file (or a remote source's size) only claims.
const indexChunk = 16 << 10

// loadIndex reads the index in bounded chunks, checks its CRC and every block length, and
// builds the jump table.
func (r *Reader) loadIndex(ht *headerTrailer) error {
	n := int(ht.IndexSize) // bounded by the stored bytes in checkFields
	ioff := r.base + int64(ht.IndexOffset)
	lo, hi := r.minStored(), maxStored(r.alg, int(ht.BlockSize), r.verify)
	buf := make([]byte, 4*min(n, indexChunk))
	lengths := make([]uint32, 0, min(n, indexChunk))
	var crc uint32
	var sum uint64
	bad := -1 // the first length out of bounds, reported after the CRC (which says more)
	for done := 0; done < n; {
		k := min(n-done, indexChunk)
		p := buf[:4*k]
		if err := readFull(r.src, p, ioff+4*int64(done), r.name, "index"); err != nil {
			return err
		}
		crc = crcRaw(crc, p)
		for i := range k {
			l := binary.LittleEndian.Uint32(p[4*i:])
			if (int64(l) < int64(lo) || int64(l) > int64(hi)) && bad < 0 {
				bad = len(lengths)
			}
			lengths = append(lengths, l)
			sum += uint64(l)
			r.info.MaxStored = max(r.info.MaxStored, int(l))
		}
		done += k
	}
	if ht.Flags&flagDigest != 0 && crc != ht.IndexCRC {
		return corruptf(r.name, ioff, "index CRC is %#08x, computed %#08x", ht.IndexCRC, crc)
	}
	if bad >= 0 {
		return blockCorrupt(r.name, ioff+4*int64(bad), bad,
			fmt.Sprintf("stored length %d outside [%d, %d] for %v %d-byte blocks", lengths[bad], lo, hi, r.alg, ht.BlockSize), nil)
	}
	if want := ht.IndexOffset - uint64(r.dataOff); sum != want {
		return corruptf(r.name, ioff, "blocks add up to %d bytes, the data area between header and index is %d", sum, want)
	}
	r.jt = newJumpTable(lengths)
	return nil
}
