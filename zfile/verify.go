package zfile

// Verify reads the whole file: every block's CRC is checked (when the file has them) and
// every block is decompressed and its length checked, on all cores as DecompressTo does. It
// stops at the first bad block in file order; the error is a *CorruptError whose Block and
// Offset say which. progress, if not nil, is called with the uncompressed bytes checked so
// far, from the calling goroutine.
func (r *Reader) Verify(progress func(done int64)) error {
	return r.decodeAll(DecompressOptions{Progress: progress}, func([]byte, int64) error { return nil })
}
