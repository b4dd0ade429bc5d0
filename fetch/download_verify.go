package fetch

import "io"

// purgeCache drops the blob's blocks from the node cache, and those fetched but not yet
// stored, after a full download of it failed its digest: what the registry served by range
// may be as wrong as what it served whole. It returns how many cached blocks went.
func (b *Blob) purgeCache() int {
	b.mu.Lock()
	for blk, f := range b.fills {
		select {
		case <-f.done: // fetched, waiting to be stored: its put sees stale and drops it
			f.stale.Store(true)
			delete(b.fills, blk)
		default: // still in flight: fetched after the download's bytes, trusted as much as any
		}
	}
	b.mu.Unlock()
	n, err := b.c.cache.PurgeBlob(b.hex)
	if err != nil {
		b.c.log.Warn("block cache: purge failed", "blob", b.name, "err", err)
	}
	if n > 0 {
		b.c.log.Warn("block cache: purged a blob whose download failed its digest", "blob", b.name, "blocks", n)
	}
	return n
}

// checkCache compares the blob's cached blocks with its verified download and drops those
// that differ, so images that share the blob but read it through the cache stop seeing them.
func (b *Blob) checkCache(verified io.ReaderAt) {
	b.puts.wait() // blocks fetched before the download finished are in the cache to compare
	n, err := b.c.cache.CheckBlob(b.hex, verified)
	if err != nil {
		b.c.log.Warn("block cache: check against the download failed", "blob", b.name, "err", err)
	}
	if n > 0 {
		b.c.log.Warn("block cache: dropped blocks that differ from the verified download", "blob", b.name, "blocks", n)
	}
}
