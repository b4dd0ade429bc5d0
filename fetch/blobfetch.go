package fetch

import (
	"context"
	"sync"
)

// fetchBlocks fetches the claimed blocks (sorted): contiguous runs, cut into ranges of at
// most maxRange bytes, every range in flight at once (the client's slots bound the node).
func (b *Blob) fetchBlocks(ctx context.Context, own []int64) {
	if len(own) == 0 {
		return
	}
	per := max(b.c.maxRange/int64(b.c.cache.blockSize), 1)
	var pieces [][]int64
	start := 0
	for i := 1; i <= len(own); i++ {
		if i == len(own) || own[i] != own[i-1]+1 || int64(i-start) == per {
			pieces = append(pieces, own[start:i])
			start = i
		}
	}
	if len(pieces) == 1 {
		b.fetchPiece(ctx, pieces[0])
		return
	}
	var wg sync.WaitGroup
	for _, pc := range pieces {
		wg.Go(func() { b.fetchPiece(ctx, pc) })
	}
	wg.Wait()
}

// fetchPiece fetches a run of blocks in one request and hands them to the readers waiting
// for them at once; storing them in the cache happens after, in the background (at most
// maxPendingPuts pieces at a time), and the blocks stay findable in fills until stored, so no
// reader fetches them again meanwhile.
func (b *Blob) fetchPiece(ctx context.Context, blocks []int64) {
	bs := int64(b.c.cache.blockSize)
	lo := blocks[0] * bs
	hi := min((blocks[len(blocks)-1]+1)*bs, b.size)
	buf := make([]byte, hi-lo)
	err := b.fetchRange(ctx, lo, buf)
	b.mu.Lock()
	fills := make([]*fill, len(blocks))
	for i, blk := range blocks {
		fills[i] = b.fills[blk]
		if err != nil {
			delete(b.fills, blk)
		}
	}
	b.mu.Unlock()
	for i, f := range fills {
		if err == nil {
			f.data = buf[int64(i)*bs : min(int64(i+1)*bs, hi-lo)]
		}
		f.err = err
		close(f.done)
	}
	if err != nil {
		return
	}
	b.c.putSlots <- struct{}{}
	b.puts.add()
	go func() {
		defer func() { <-b.c.putSlots; b.puts.done() }()
		for i, blk := range blocks {
			f := fills[i]
			if f.stale.Load() {
				continue
			}
			if perr := b.c.cache.Put(b.hex, blk, f.data); perr != nil {
				b.c.log.Warn("block cache: store failed", "blob", b.name, "block", blk, "err", perr)
			}
			if f.stale.Load() {
				b.c.cache.Invalidate(b.hex, blk) // invalidated while being stored
			}
			b.mu.Lock()
			if b.fills[blk] == f {
				delete(b.fills, blk)
			}
			b.mu.Unlock()
		}
	}()
}

// Invalidate drops the cached blocks under [off, off+n): a check above the cache (a ZFile
// block CRC) found them wrong, so the next read fetches them again.
func (b *Blob) Invalidate(off, n int64) {
	if n <= 0 {
		return
	}
	bs := int64(b.c.cache.blockSize)
	for blk := off / bs; blk <= (off+n-1)/bs; blk++ {
		b.mu.Lock()
		if f := b.fills[blk]; f != nil {
			select {
			case <-f.done: // fetched, waiting to be stored: drop it
				f.stale.Store(true)
				delete(b.fills, blk)
			default: // still being fetched: its bytes are not the ones found wrong
			}
		}
		b.mu.Unlock()
		b.c.cache.Invalidate(b.hex, blk)
	}
}

// Sync waits until the blocks fetched so far are stored in the cache.
func (b *Blob) Sync() { b.puts.wait() }

// pending counts background work; unlike sync.WaitGroup it may go up while someone waits.
type pending struct {
	mu   sync.Mutex
	cond *sync.Cond
	n    int
}

func (p *pending) add() {
	p.mu.Lock()
	p.n++
	p.mu.Unlock()
}

func (p *pending) done() {
	p.mu.Lock()
	p.n--
	if p.n == 0 && p.cond != nil {
		p.cond.Broadcast()
	}
	p.mu.Unlock()
}

func (p *pending) wait() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cond == nil {
		p.cond = sync.NewCond(&p.mu)
	}
	for p.n > 0 {
		p.cond.Wait()
	}
}
