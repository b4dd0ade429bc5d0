package fetch

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// startEviction runs one rescan-and-evict in the background unless one is running: fills
// (and the reads waiting on them) never wait for it.
func (c *Cache) startEviction() {
	c.mu.Lock()
	if c.evicting != nil {
		c.mu.Unlock()
		return
	}
	done := make(chan struct{})
	c.evicting = done
	c.mu.Unlock()
	go func() {
		if err := c.rescanAndEvict(); err != nil {
			slog.Warn("block cache eviction", "dir", c.root, "err", err)
		}
		c.mu.Lock()
		c.evicting = nil
		c.mu.Unlock()
		close(done)
	}()
}

type victim struct {
	cb      *cachedBlob
	block   int64
	e       *blockEntry
	lastUse int64
}

// rescanAndEvict loads every blob index in the directory (new blobs, and records other
// processes appended), then removes the least recently used blocks until the cache is under
// the low-water mark, if it was over the limit.
func (c *Cache) rescanAndEvict() error {
	if err := c.rescan(); err != nil {
		return err
	}
	c.sinceScan.Store(0)
	if c.total.Load() <= c.limit {
		return nil
	}
	c.mu.Lock()
	blobs := make([]*cachedBlob, 0, len(c.blobs))
	for _, cb := range c.blobs {
		blobs = append(blobs, cb)
	}
	c.mu.Unlock()
	var all []victim
	for _, cb := range blobs {
		cb.mu.Lock()
		for blk, e := range cb.entries {
			all = append(all, victim{cb, blk, e, e.lastUse})
		}
		cb.mu.Unlock()
	}
	slices.SortFunc(all, func(a, b victim) int {
		switch {
		case a.lastUse < b.lastUse:
			return -1
		case a.lastUse > b.lastUse:
			return 1
		}
		return 0
	})
	emptied := map[*cachedBlob]bool{}
	var n int64
	for _, v := range all {
		if c.total.Load() <= c.lowWater {
			break
		}
		v.cb.mu.Lock()
		if v.cb.entries[v.block] == v.e && !v.cb.dead {
			v.cb.removeBlock(c, v.block, v.e)
			n++
			if len(v.cb.entries) == 0 {
				emptied[v.cb] = true
			}
		}
		v.cb.mu.Unlock()
	}
	c.Evictions.Add(n)
	for cb := range emptied {
		c.dropBlob(cb)
	}
	return nil
}

// dropBlob removes the files of a blob that has no block left.
func (c *Cache) dropBlob(cb *cachedBlob) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cb.mu.Lock()
	defer cb.mu.Unlock()
	if len(cb.entries) != 0 || cb.dead {
		return
	}
	cb.dead = true
	os.Remove(c.blobPath(cb.hex, ".index"))
	os.Remove(c.blobPath(cb.hex, ".blocks"))
	cb.data.Close()
	cb.idx.Close()
	delete(c.blobs, cb.hex)
}

// rescan opens every blob the directory has and reads what was appended to the indexes.
func (c *Cache) rescan() error {
	prefixes, err := os.ReadDir(c.root)
	if err != nil {
		return err
	}
	for _, p := range prefixes {
		if !p.IsDir() || len(p.Name()) != 2 {
			continue
		}
		files, _ := os.ReadDir(filepath.Join(c.root, p.Name()))
		for _, f := range files {
			hex, ok := strings.CutSuffix(f.Name(), ".index")
			if !ok || len(hex) != 64 || !strings.HasPrefix(hex, p.Name()) {
				continue
			}
			cb, err := c.blob(hex, false)
			if err != nil || cb == nil {
				continue
			}
			cb.mu.Lock()
			if !cb.dead {
				cb.refresh(c, cb.touched)
			}
			cb.mu.Unlock()
		}
	}
	return nil
}
