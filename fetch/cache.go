package fetch

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Cache is the node's on-disk block cache: blocks of registry blobs, keyed by blob digest and
// block number. Each blob has two files under <dir>/dadi-v1/bs-<blockSize>/<hex[:2]>/: a
// sparse data file (<hex>.blocks, block n at n×blockSize) and an index log (<hex>.index, see
// cacherecord.go). Filling a block is a pwrite and a 32-byte append; no file is created per
// block, which on some disks costs a millisecond each.
//
// Every dadi process on the node may open the same directory:
//   - a block is cached once its record is appended after its bytes: a writer killed mid-fill
//     leaves a miss;
//   - every read checks the block's CRC32C from its record, so torn bytes and bytes another
//     process evicted (a punched hole reads as zeros) are a miss, never data;
//   - a process sees blocks other processes added when it misses (it re-reads the index's new
//     records) and when it rescans the directory;
//   - the size limit is enforced on what the last rescan counted: each process rescans after
//     adding limit/8 bytes, so several processes overshoot it by at most that much each;
//   - eviction is least recently used: by last read within a process, and across restarts by
//     the index file's mtime (touched at most once a minute per blob) and record order.
type Cache struct {
	root      string
	blockSize int
	limit     int64
	lowWater  int64 // eviction stops here, so fills after it have headroom

	mu        sync.Mutex
	blobs     map[string]*cachedBlob
	evicting  chan struct{} // closed when the running eviction ends; nil when none runs
	total     atomic.Int64  // bytes of the cached blocks
	sinceScan atomic.Int64  // bytes this process added since the last rescan

	Evictions atomic.Int64 // blocks removed to stay under the limit
	Corrupt   atomic.Int64 // blocks that failed their check and were dropped

	bufs sync.Pool // *[]byte of blockSize, for reads
}

// cachedBlob is one blob's files and what this process knows of its index.
type cachedBlob struct {
	hex string

	mu      sync.Mutex
	data    *os.File
	idx     *os.File // O_APPEND: records of several processes interleave whole
	parsed  int64    // bytes of idx applied to entries
	entries map[int64]*blockEntry
	touched int64 // when idx's mtime was last set
	dead    bool  // files removed by an eviction
}

type blockEntry struct {
	len     uint32
	crc     uint32
	lastUse int64 // unix nanoseconds
}

// touchEvery is how stale a blob's recency on disk may get before a hit refreshes it.
const touchEvery = time.Minute

// OpenCache opens (creating it if needed) the cache under dir with the given size limit and
// block size, loads the indexes there and evicts down to the limit. limit 0 is a cache that
// keeps nothing.
func OpenCache(dir string, limit int64, blockSize int) (*Cache, error) {
	if blockSize < 4096 || blockSize&(blockSize-1) != 0 {
		return nil, fmt.Errorf("%w: cache block size %d is not a power of two ≥ 4096", ErrConfig, blockSize)
	}
	c := &Cache{
		root:      filepath.Join(dir, "dadi-v1", "bs-"+strconv.Itoa(blockSize)),
		blockSize: blockSize,
		limit:     limit,
		lowWater:  limit - limit/10,
		blobs:     make(map[string]*cachedBlob),
	}
	c.bufs.New = func() any { b := make([]byte, blockSize); return &b }
	if limit == 0 {
		return c, nil
	}
	if err := os.MkdirAll(c.root, 0o755); err != nil {
		return nil, fmt.Errorf("block cache: %w", err)
	}
	if err := c.rescanAndEvict(); err != nil {
		return nil, err
	}
	return c, nil
}

// BlockSize is the cache's block size in bytes.
func (c *Cache) BlockSize() int { return c.blockSize }

// Limit is the size limit in bytes.
func (c *Cache) Limit() int64 { return c.limit }

// Usage is the bytes of cached blocks as this process last counted them.
func (c *Cache) Usage() int64 { return c.total.Load() }

// Dir is the directory the blob files live under.
func (c *Cache) Dir() string { return c.root }

func (c *Cache) blobPath(hex, ext string) string {
	return filepath.Join(c.root, hex[:2], hex+ext)
}

// blob returns the blob's state, opening its files if they exist (or, with create, making
// them). nil means the cache has nothing of the blob.
func (c *Cache) blob(hex string, create bool) (*cachedBlob, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cb := c.blobs[hex]; cb != nil {
		return cb, nil
	}
	flag := os.O_RDWR
	if create {
		if err := os.MkdirAll(filepath.Join(c.root, hex[:2]), 0o755); err != nil {
			return nil, err
		}
		flag |= os.O_CREATE
	}
	data, err := os.OpenFile(c.blobPath(hex, ".blocks"), flag, 0o644)
	if err != nil {
		if !create && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	idx, err := os.OpenFile(c.blobPath(hex, ".index"), flag|os.O_APPEND, 0o644)
	if err != nil {
		data.Close()
		if !create && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	cb := &cachedBlob{hex: hex, data: data, idx: idx, entries: make(map[int64]*blockEntry)}
	if st, err := idx.Stat(); err == nil {
		cb.touched = st.ModTime().UnixNano()
	}
	cb.mu.Lock()
	cb.refresh(c, cb.touched)
	cb.mu.Unlock()
	c.blobs[hex] = cb
	return cb, nil
}

// refresh applies the records appended to the index since it was last read (by any process).
// Entries it adds get lastUse base plus their position, so later records count as newer.
// Preconditions: cb.mu held.
func (cb *cachedBlob) refresh(c *Cache, base int64) {
	st, err := cb.idx.Stat()
	if err != nil || st.Size() <= cb.parsed {
		return
	}
	// The index is read in bounded chunks: its size says nothing about what it holds (a
	// damaged or sparse file may claim gigabytes), so memory never follows it.
	buf := make([]byte, min(st.Size()-cb.parsed, refreshChunk))
	for cb.parsed < st.Size() {
		n, _ := cb.idx.ReadAt(buf[:min(int64(len(buf)), st.Size()-cb.parsed)], cb.parsed)
		n -= n % recordSize
		if n == 0 {
			return // a torn tail: the rest of the record is still being written
		}
		for i := 0; i+recordSize <= n; i += recordSize {
			r, ok := parseRecord(buf[i : i+recordSize])
			if !ok {
				continue
			}
			cb.apply(c, r, base+cb.parsed+int64(i))
		}
		cb.parsed += int64(n)
	}
}

// refreshChunk is how much of a blob's index refresh reads at once (2048 records).
const refreshChunk = 2048 * recordSize

// apply makes one record take effect. Preconditions: cb.mu held.
func (cb *cachedBlob) apply(c *Cache, r record, lastUse int64) {
	old := cb.entries[r.block]
	switch r.kind {
	case recordPut:
		if r.len == 0 || int64(r.len) > int64(c.blockSize) {
			return // not a block this cache could have written: a damaged or foreign index
		}
		if old != nil && old.len == r.len && old.crc == r.crc {
			return // our own record, read back
		}
		if old != nil {
			c.total.Add(-int64(old.len))
		}
		cb.entries[r.block] = &blockEntry{len: r.len, crc: r.crc, lastUse: lastUse}
		c.total.Add(int64(r.len))
	case recordRemove:
		if old != nil {
			c.total.Add(-int64(old.len))
			delete(cb.entries, r.block)
		}
	}
}

// appendRecord logs r. Preconditions: cb.mu held.
func (cb *cachedBlob) appendRecord(r record) error {
	var b [recordSize]byte
	r.marshal(&b)
	_, err := cb.idx.Write(b[:])
	return err
}

// Get copies len(p) bytes at offset within of the cached block into p. ok is false on a miss,
// which includes a block shorter than within+len(p) and a block whose bytes fail their CRC
// (then dropped).
func (c *Cache) Get(hex string, block int64, p []byte, within int) bool {
	if c.limit == 0 {
		return false
	}
	cb, err := c.blob(hex, false)
	if err != nil || cb == nil {
		return false
	}
	now := time.Now().UnixNano()
	cb.mu.Lock()
	e := cb.entries[block]
	if e == nil && !cb.dead {
		cb.refresh(c, now) // another process may have filled it
		e = cb.entries[block]
	}
	var n, crc uint32
	touch := false
	if e != nil {
		e.lastUse = now
		n, crc = e.len, e.crc
		if touch = now-cb.touched > int64(touchEvery); touch {
			cb.touched = now
		}
	}
	cb.mu.Unlock()
	if e == nil || within+len(p) > int(n) {
		return false
	}
	if touch {
		t := time.Unix(0, now)
		os.Chtimes(c.blobPath(hex, ".index"), t, t)
	}
	bp := c.bufs.Get().(*[]byte)
	defer c.bufs.Put(bp)
	buf := (*bp)[:n]
	k, _ := cb.data.ReadAt(buf, block*int64(c.blockSize))
	if k != len(buf) || crc32.Checksum(buf, castagnoli) != crc {
		if !c.evictedMeanwhile(cb, block, e) {
			c.Corrupt.Add(1)
		}
		c.Invalidate(hex, block)
		return false
	}
	copy(p, buf[within:])
	return true
}

// evictedMeanwhile says whether the block's entry went away or changed since e (an eviction,
// ours or another process's), which makes a failed check a plain miss.
func (c *Cache) evictedMeanwhile(cb *cachedBlob, block int64, e *blockEntry) bool {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	cb.refresh(c, time.Now().UnixNano())
	return cb.entries[block] != e
}

// Put stores data as block of the blob: the bytes, then the record that makes them count.
// A failure to store is not an error of the read that fetched the data; it is returned for
// the caller to log.
func (c *Cache) Put(hex string, block int64, data []byte) error {
	if c.limit == 0 || len(data) > c.blockSize || len(data) == 0 {
		return nil
	}
	cb, err := c.blob(hex, true)
	if err != nil {
		return err
	}
	if _, err := cb.data.WriteAt(data, block*int64(c.blockSize)); err != nil {
		return err
	}
	r := record{kind: recordPut, block: block, len: uint32(len(data)), crc: crc32.Checksum(data, castagnoli)}
	cb.mu.Lock()
	if cb.dead {
		cb.mu.Unlock()
		return nil // evicted whole meanwhile; the next fill starts the blob anew
	}
	err = cb.appendRecord(r)
	if err == nil {
		cb.apply(c, r, time.Now().UnixNano())
	}
	cb.mu.Unlock()
	if err != nil {
		return err
	}
	added := c.sinceScan.Add(int64(len(data)))
	if c.total.Load() > c.limit || added > c.limit/8 {
		c.startEviction()
	}
	return nil
}

// Invalidate drops a block: its bytes were found wrong (by the cache's CRC or a check above
// it, a ZFile block CRC), so the next read fetches it again.
func (c *Cache) Invalidate(hex string, block int64) {
	if c.limit == 0 {
		return
	}
	cb, err := c.blob(hex, false)
	if err != nil || cb == nil {
		return
	}
	cb.mu.Lock()
	defer cb.mu.Unlock()
	if e := cb.entries[block]; e != nil && !cb.dead {
		cb.removeBlock(c, block, e)
	}
}

// removeBlock logs the removal and frees the block's disk space. Preconditions: cb.mu held.
func (cb *cachedBlob) removeBlock(c *Cache, block int64, e *blockEntry) {
	cb.appendRecord(record{kind: recordRemove, block: block})
	delete(cb.entries, block)
	c.total.Add(-int64(e.len))
	punchHole(cb.data, block*int64(c.blockSize), int64(c.blockSize))
}

// Has says whether a block is cached as this process knows it (no disk access).
func (c *Cache) Has(hex string, block int64) bool {
	c.mu.Lock()
	cb := c.blobs[hex]
	c.mu.Unlock()
	if cb == nil {
		return false
	}
	cb.mu.Lock()
	defer cb.mu.Unlock()
	return cb.entries[block] != nil
}

// Wait returns once no eviction is running.
func (c *Cache) Wait() {
	c.mu.Lock()
	ch := c.evicting
	c.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

// Close waits for a running eviction and closes the blob files.
func (c *Cache) Close() error {
	c.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for hex, cb := range c.blobs {
		cb.mu.Lock()
		cb.data.Close()
		cb.idx.Close()
		cb.dead = true
		cb.mu.Unlock()
		delete(c.blobs, hex)
	}
	return nil
}
