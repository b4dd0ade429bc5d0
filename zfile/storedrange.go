package zfile

// StoredRange is the byte range of the stored (compressed) blocks, CRCs included, that hold
// the uncompressed bytes [off, off+n), as offsets in the reader's source. Prefetch traces name
// these ranges so that replaying them fills a cache of the blob itself. n must be positive and
// the range inside Size.
func (r *Reader) StoredRange(off, n int64) (srcOff, srcLen int64) {
	b := int(off >> r.shift)
	e := int((off+n-1)>>r.shift) + 1
	start := r.blockFileOffset(b)
	return start, r.blockFileOffset(e) - start
}
