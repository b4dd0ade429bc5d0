package zfile

// Verify reads the whole file: every block's CRC is checked (when the file has them) and
// every block is decompressed and its length checked. It stops at the first bad block; the
// error is a *CorruptError whose Block and Offset say which. progress, if not nil, is called
// with the uncompressed bytes checked so far.
func (r *Reader) Verify(progress func(done int64)) error {
	buf := make([]byte, min(4<<20, max(r.size, 1)))
	for off := int64(0); off < r.size; {
		n := int(min(int64(len(buf)), r.size-off))
		if _, err := r.read(buf[:n], off); err != nil {
			return err
		}
		off += int64(n)
		if progress != nil {
			progress(off)
		}
	}
	return nil
}
