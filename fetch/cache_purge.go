package fetch

import (
	"bytes"
	"io"
)

// PurgeBlob drops every cached block of a blob: a full download of it failed its digest, so
// the registry (or the path to it) served wrong bytes, and blocks fetched by range earlier may
// be wrong too. A plain LSMT lower has no per-block check above the cache, so nothing else
// would ever find them. The removal records reach other processes when they next miss, and
// the punched data file makes their next read of a block they still list fail its CRC, a miss.
// It returns how many blocks were dropped.
func (c *Cache) PurgeBlob(hex string) (int, error) {
	if c.limit == 0 {
		return 0, nil
	}
	cb, err := c.blob(hex, false)
	if err != nil || cb == nil {
		return 0, err
	}
	cb.mu.Lock()
	n := 0
	if !cb.dead {
		cb.refresh(c, cb.touched) // blocks other processes added count too
		for blk, e := range cb.entries {
			cb.removeBlock(c, blk, e)
			n++
		}
		// Bytes of fills whose record is not written yet (another process's) go as well.
		if st, err := cb.data.Stat(); err == nil && st.Size() > 0 {
			punchHole(cb.data, 0, st.Size())
		}
	}
	cb.mu.Unlock()
	c.dropBlob(cb)
	return n, nil
}

// CheckBlob compares every cached block of a blob with good, a copy whose digest was verified
// (a completed download), and drops the blocks that differ: blocks fetched by range are not
// verified one by one for a plain LSMT lower, so this is where wrong ones are caught, for every
// image and process that shares the blob. Bytes are compared, not CRCs: whoever forged the
// bytes could have matched a CRC32C. It returns how many blocks were dropped.
func (c *Cache) CheckBlob(hex string, good io.ReaderAt) (int, error) {
	if c.limit == 0 {
		return 0, nil
	}
	cb, err := c.blob(hex, false)
	if err != nil || cb == nil {
		return 0, err
	}
	type held struct {
		block int64
		e     *blockEntry
	}
	cb.mu.Lock()
	if !cb.dead {
		cb.refresh(c, cb.touched)
	}
	list := make([]held, 0, len(cb.entries))
	for blk, e := range cb.entries {
		list = append(list, held{blk, e})
	}
	cb.mu.Unlock()
	cachedp, goodp := c.bufs.Get().(*[]byte), c.bufs.Get().(*[]byte)
	defer c.bufs.Put(cachedp)
	defer c.bufs.Put(goodp)
	dropped := 0
	for _, h := range list {
		off := h.block * int64(c.blockSize)
		if int(h.e.len) > c.blockSize {
			continue // apply never admits such a record; kept as a bound for the buffers
		}
		want := (*goodp)[:h.e.len]
		if k, _ := good.ReadAt(want, off); k != len(want) {
			// Past the verified copy's end: not the blob's bytes.
			if c.dropIfSame(cb, h.block, h.e) {
				c.Corrupt.Add(1)
				dropped++
			}
			continue
		}
		got := (*cachedp)[:h.e.len]
		k, _ := cb.data.ReadAt(got, off)
		if k == len(got) && bytes.Equal(got, want) {
			continue
		}
		if c.dropIfSame(cb, h.block, h.e) {
			c.Corrupt.Add(1)
			dropped++
		}
	}
	return dropped, nil
}

// dropIfSame removes the block if its entry is still e (not evicted or refilled meanwhile).
func (c *Cache) dropIfSame(cb *cachedBlob, block int64, e *blockEntry) bool {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	if cb.dead || cb.entries[block] != e {
		return false
	}
	cb.removeBlock(c, block, e)
	return true
}
