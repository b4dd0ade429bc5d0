package fetch

import (
	"context"
	"sync"
)

// Fill brings the whole blob into the block cache (what `dadi pull` does), several ranges at
// once, calling progress with the bytes of each range as it completes (cached or fetched).
func (b *Blob) Fill(ctx context.Context, progress func(n int64)) error {
	bs := int64(b.c.cache.blockSize)
	step := max(b.c.maxRange/bs, 1) * bs
	work := make(chan int64)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := min(cap(b.c.sem), int((b.size+step-1)/step))
	for range workers {
		wg.Go(func() {
			buf := make([]byte, step)
			for off := range work {
				n := min(step, b.size-off)
				if err := b.fillRange(ctx, buf[:n], off); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					continue
				}
				if progress != nil {
					progress(n)
				}
			}
		})
	}
	for off := int64(0); off < b.size && ctx.Err() == nil; off += step {
		work <- off
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// fillRange makes sure the blocks under p's range are cached, reading through the normal
// path only when the cache does not know them all.
func (b *Blob) fillRange(ctx context.Context, p []byte, off int64) error {
	bs := int64(b.c.cache.blockSize)
	if b.c.cache.limit > 0 {
		all := true
		for blk := off / bs; blk <= (off+int64(len(p))-1)/bs; blk++ {
			if !b.c.cache.Has(b.hex, blk) {
				all = false
				break
			}
		}
		if all {
			return nil
		}
	}
	rctx, cancel := context.WithTimeout(ctx, b.c.total)
	defer cancel()
	return b.read(rctx, p, off)
}
