package fetch

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Blob is a registry blob read by HTTP range requests through the node's block cache: an
// io.ReaderAt with Size, Name and Close, which is what the engine stacks as a layer file.
// Any number of goroutines may read at once.
type Blob struct {
	c      *Client
	repo   *repoAuth
	url    string // <repoBlobUrl>/<digest>
	digest string
	hex    string // the digest's hex: the cache key
	size   int64
	name   string // registry/repository@digest, for errors
	stats  *Stats

	redirect atomic.Pointer[storageURL]
	local    atomic.Pointer[os.File] // the verified download, once there

	mu    sync.Mutex
	fills map[int64]*fill // blocks being fetched, so concurrent readers share one request

	puts   pending         // cache stores in the background; Close waits for them
	ctx    context.Context // cancelled by Close: reads in flight give up
	cancel context.CancelFunc
	closed atomic.Bool
}

// storageURL is where the registry redirected the blob to, kept until it expires.
type storageURL struct {
	url     string
	expires time.Time
}

// redirectLife is how long a storage URL is reused; presigned URLs live longer than this.
const redirectLife = 5 * time.Minute

// fill is one block being fetched; done closes when data or err is set.
type fill struct {
	done  chan struct{}
	data  []byte
	err   error
	stale atomic.Bool // invalidated before it was stored: do not keep it
}

// OpenBlob opens a registry blob. A ref without a size asks the registry for it.
func (c *Client) OpenBlob(ref BlobRef) (*Blob, error) {
	loc, err := parseRepoBlobURL(ref.RepoBlobURL)
	if err != nil {
		return nil, err
	}
	if err := checkDigest(ref.Digest); err != nil {
		return nil, err
	}
	if ref.Size < 0 {
		return nil, fmt.Errorf("%w: blob %s has size %d", ErrConfig, ref.Digest, ref.Size)
	}
	b := &Blob{
		c:      c,
		repo:   c.repo(loc),
		url:    trimSlash(ref.RepoBlobURL) + "/" + ref.Digest,
		digest: ref.Digest,
		hex:    ref.Digest[len("sha256:"):],
		size:   ref.Size,
		name:   loc.host + "/" + loc.repository + "@" + ref.Digest,
		stats:  c.StatsFor(ref.Image),
		fills:  make(map[int64]*fill),
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	if b.size == 0 {
		if err := b.probeSize(); err != nil {
			b.Close()
			return nil, err
		}
	}
	return b, nil
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// probeSize learns the blob's size from the Content-Range of its first byte.
func (b *Blob) probeSize() error {
	ctx, cancel := context.WithTimeout(b.ctx, b.c.total)
	defer cancel()
	b.size = -1 // tryRange records the total instead of checking it
	var one [1]byte
	if err := b.fetchRange(ctx, 0, one[:]); err != nil {
		return err
	}
	if b.size <= 0 {
		return fmt.Errorf("%s: %w: the registry did not say how long the blob is", b.name, ErrBadResponse)
	}
	return nil
}

// Size is the blob's length in bytes.
func (b *Blob) Size() int64 { return b.size }

// Name is registry/repository@digest.
func (b *Blob) Name() string { return b.name }

// Digest is the blob's digest.
func (b *Blob) Digest() string { return b.digest }

// Stats are the counters of the image the blob was opened for.
func (b *Blob) Stats() *Stats { return b.stats }

// Close ends reads in flight and releases the local copy if one was switched to.
func (b *Blob) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	b.cancel()
	b.puts.wait()
	if f := b.local.Swap(nil); f != nil {
		return f.Close()
	}
	return nil
}

// ReadAt reads len(p) bytes at off with io.ReaderAt semantics.
func (b *Blob) ReadAt(p []byte, off int64) (int, error) {
	if f := b.local.Load(); f != nil {
		return f.ReadAt(p, off)
	}
	if b.closed.Load() {
		return 0, fmt.Errorf("%s: %w", b.name, ErrClosed)
	}
	if off < 0 {
		return 0, fmt.Errorf("%s: read at negative offset %d", b.name, off)
	}
	if off >= b.size {
		return 0, io.EOF
	}
	want := int(min(int64(len(p)), b.size-off))
	if want == 0 {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(b.ctx, b.c.total)
	defer cancel()
	if err := b.read(ctx, p[:want], off); err != nil {
		return 0, err
	}
	if want < len(p) {
		return want, io.EOF
	}
	return want, nil
}

// read fills p (inside the blob) from the cache and, for the blocks it misses, from the
// registry: each missing block is claimed by one reader, runs of claimed blocks are fetched in
// ranges of at most maxRange bytes, all at once, and blocks claimed by other readers are
// waited for. No lock is held while a request is out.
func (b *Blob) read(ctx context.Context, p []byte, off int64) error {
	bs := int64(b.c.cache.blockSize)
	b.stats.BytesRead.Add(int64(len(p)))
	first, last := off/bs, (off+int64(len(p))-1)/bs
	var missing []int64
	for blk := first; blk <= last; blk++ {
		dst, within := b.part(p, off, blk)
		if b.c.cache.Get(b.hex, blk, dst, within) {
			b.stats.CacheHits.Add(1)
			continue
		}
		b.stats.CacheMisses.Add(1)
		missing = append(missing, blk)
	}
	if len(missing) == 0 {
		return nil
	}
	fills := make([]*fill, len(missing))
	var own []int64
	b.mu.Lock()
	for i, blk := range missing {
		f := b.fills[blk]
		if f == nil {
			f = &fill{done: make(chan struct{})}
			b.fills[blk] = f
			own = append(own, blk)
		}
		fills[i] = f
	}
	b.mu.Unlock()
	b.fetchBlocks(ctx, own)
	for i, blk := range missing {
		f := fills[i]
		select {
		case <-f.done:
		case <-ctx.Done():
			return fmt.Errorf("%s: block %d: %w: %v", b.name, blk, ErrFetch, ctx.Err())
		}
		if f.err != nil {
			return f.err
		}
		dst, within := b.part(p, off, blk)
		if within+len(dst) > len(f.data) {
			return fmt.Errorf("%s: block %d: %w: %d bytes, need %d", b.name, blk, ErrBadResponse, len(f.data), within+len(dst))
		}
		copy(dst, f.data[within:])
	}
	return nil
}

// part is the slice of p that block blk covers and where it starts inside the block.
func (b *Blob) part(p []byte, off, blk int64) ([]byte, int) {
	bs := int64(b.c.cache.blockSize)
	lo, hi := max(blk*bs, off), min((blk+1)*bs, off+int64(len(p)))
	return p[lo-off : hi-off], int(lo - blk*bs)
}

// target is the URL to ask: the cached storage URL if the registry redirected, else the
// registry's blob URL.
func (b *Blob) target() (string, bool) {
	if r := b.redirect.Load(); r != nil && time.Now().Before(r.expires) {
		return r.url, true
	}
	return b.url, false
}

func (b *Blob) setRedirect(u *url.URL) {
	b.redirect.Store(&storageURL{url: u.String(), expires: time.Now().Add(redirectLife)})
}

// dropRedirect forgets the storage URL after it failed, so the registry is asked again.
func (b *Blob) dropRedirect(storage bool) {
	if storage {
		b.redirect.Store(nil)
	}
}
