package engine

import (
	"errors"
	"fmt"
	"sync"
	"syscall"

	"github.com/dadi-dev/dadi/fetch"
	"github.com/dadi-dev/dadi/index"
	"github.com/dadi-dev/dadi/lsmt"
)

// MaxLayers is the most read-only layers an image stacks (overlaybd's limit, and the width of
// the in-memory tag).
const MaxLayers = index.MaxLayers

// Image is a stack of read-only layers (bottom first) and an optional writable upper. Reads
// look the range up in the upper's index, then, for what the upper does not have, in the
// merged index of the lowers (top wins). Writes go to the upper.
type Image struct {
	lowers []*lsmt.ROLayer
	merged *index.Static
	upper  lsmt.Upper
	size   int64
	cfg    *Config

	pool      sync.Pool // *scratch for ReadAt/WriteAt callers outside ublk queues
	hooks     hooks     // for prefetch: demand count, read observer, close hooks (hooks.go)
	closeOnce sync.Once
	closeErr  error
}

// scratch is the per-caller (per-queue) memory of the I/O path, so a request allocates
// nothing once it has grown to the largest extent count seen.
type scratch struct {
	up, low []index.Extent
	rmw     []byte
}

func newScratch() *scratch {
	return &scratch{up: make([]index.Extent, 0, 64), low: make([]index.Extent, 0, 64)}
}

// NewImage stacks lowers (bottom first) and upper (may be nil). The image owns them all from
// here on, also when NewImage fails.
func NewImage(lowers []*lsmt.ROLayer, upper lsmt.Upper) (*Image, error) {
	img := &Image{lowers: lowers, upper: upper}
	img.pool.New = func() any { return newScratch() }
	if len(lowers) > MaxLayers {
		img.Close()
		return nil, fmt.Errorf("%d lower layers: at most %d can be stacked", len(lowers), MaxLayers)
	}
	idx := make([]*index.Static, len(lowers))
	for i, l := range lowers {
		idx[i] = l.Index
	}
	m, err := index.Merge(idx)
	if err != nil {
		img.Close()
		return nil, err
	}
	img.merged = m
	// The disk size is the topmost non-zero virtual size.
	if upper != nil {
		img.size = upper.VirtualSize()
	}
	for i := len(lowers) - 1; i >= 0 && img.size == 0; i-- {
		img.size = lowers[i].VirtualSize()
	}
	if img.size <= 0 || img.size%lsmt.SectorSize != 0 {
		img.Close()
		return nil, fmt.Errorf("image: virtual size %d is not a positive multiple of %d", img.size, lsmt.SectorSize)
	}
	return img, nil
}

// OpenOptions adjust OpenImage.
type OpenOptions struct {
	ReadOnly bool // open the upper without writing to it (and write no result file)
	// Global is the node-wide config (overlaybd.json) for remote lowers; nil loads
	// fetch.DefaultGlobalConfigPath, or takes the defaults if that file is missing.
	Global *fetch.GlobalConfig
	// Fetch is a fetch client shared by several images; nil makes one from Global when the
	// image has a remote lower, closed with the image.
	Fetch *fetch.Client
	// ImageName labels the image's fetch metrics; OpenImage uses the config path.
	ImageName string
}

// OpenImage opens the image a config.v1.json describes and writes its result file
// ("success" or "failed:<reason>").
func OpenImage(configPath string, o OpenOptions) (*Image, error) {
	c, err := LoadConfig(configPath)
	if err != nil {
		return nil, err
	}
	if o.ImageName == "" {
		o.ImageName = configPath
	}
	img, err := OpenConfig(c, o)
	if !o.ReadOnly {
		if werr := c.WriteResult(err); werr != nil && err == nil {
			img.Close()
			return nil, fmt.Errorf("result file: %w", werr)
		}
	}
	return img, err
}

// OpenConfig opens the layers of a parsed config.
func OpenConfig(c *Config, o OpenOptions) (*Image, error) {
	if len(c.Lowers) > MaxLayers {
		return nil, fmt.Errorf("%d lowers: at most %d layers can be stacked", len(c.Lowers), MaxLayers)
	}
	var lowers []*lsmt.ROLayer
	fail := func(err error) (*Image, error) {
		for _, l := range lowers {
			l.Close()
		}
		return nil, err
	}
	var remote *remoteSet // made by the first registry lower (remote.go)
	for i := range c.Lowers {
		l, err := openLower(c, i, o, &remote)
		if err != nil {
			return fail(fmt.Errorf("lowers[%d]: %w", i, err))
		}
		lowers = append(lowers, l)
	}
	var up lsmt.Upper
	if c.Upper != nil {
		var err error
		if up, err = lsmt.OpenUpper(c.path(c.Upper.Data), c.path(c.Upper.Index), !o.ReadOnly); err != nil {
			return fail(fmt.Errorf("upper: %w", err))
		}
	}
	img, err := NewImage(lowers, up)
	if err != nil {
		return nil, err
	}
	img.cfg = c
	if err := remote.startDownload(c); err != nil {
		img.Close()
		return nil, err
	}
	return img, nil
}

// Size is the virtual disk size in bytes.
func (img *Image) Size() int64 { return img.size }

// Lowers are the read-only layers, bottom first.
func (img *Image) Lowers() []*lsmt.ROLayer { return img.lowers }

// UpperLayer is the writable layer, or nil.
func (img *Image) UpperLayer() lsmt.Upper { return img.upper }

// Merged is the merged index of the lowers.
func (img *Image) Merged() *index.Static { return img.merged }

// Config is the config the image was opened from, or nil.
func (img *Image) Config() *Config { return img.cfg }

// checkRange validates a byte range of a request.
func (img *Image) checkRange(off, n int64) error {
	if off%lsmt.SectorSize != 0 || n%lsmt.SectorSize != 0 || off < 0 || n < 0 || n > img.size || off > img.size-n {
		return fmt.Errorf("range [%d, +%d) of a %d-byte disk: %w", off, n, img.size, syscall.EINVAL)
	}
	return nil
}

// ReadAt reads len(p) bytes at off (both multiples of 512) with io.ReaderAt semantics.
func (img *Image) ReadAt(p []byte, off int64) (int, error) {
	s := Session{img: img, sc: img.pool.Get().(*scratch)}
	defer img.pool.Put(s.sc)
	return s.ReadAt(p, off)
}

func (img *Image) read(p []byte, off int64, sc *scratch) error {
	if err := img.checkRange(off, int64(len(p))); err != nil {
		return err
	}
	sec, n := uint64(off)/lsmt.SectorSize, uint64(len(p))/lsmt.SectorSize
	if img.upper == nil {
		return img.readLowers(p, sec, n, sc)
	}
	sc.up = img.upper.Lookup(sec, n, sc.up[:0])
	for _, e := range sc.up {
		b := p[(e.Offset-sec)*lsmt.SectorSize : (e.End()-sec)*lsmt.SectorSize]
		switch e.Kind {
		case index.Data:
			if err := img.upper.ReadData(b, int64(e.MOffset)*lsmt.SectorSize); err != nil {
				return err
			}
		case index.Zero:
			clear(b)
		default:
			if err := img.readLowers(b, e.Offset, e.Length, sc); err != nil {
				return err
			}
		}
	}
	return nil
}

func (img *Image) readLowers(p []byte, sec, n uint64, sc *scratch) error {
	sc.low = img.merged.Lookup(sec, n, sc.low[:0])
	for _, e := range sc.low {
		b := p[(e.Offset-sec)*lsmt.SectorSize : (e.End()-sec)*lsmt.SectorSize]
		if e.Kind != index.Data {
			clear(b)
			continue
		}
		if err := img.lowers[e.Layer].ReadAt(b, int64(e.MOffset)*lsmt.SectorSize); err != nil {
			return err
		}
	}
	return nil
}

// WriteAt writes p at off (both multiples of 512) into the upper layer.
func (img *Image) WriteAt(p []byte, off int64) (int, error) {
	s := Session{img: img, sc: img.pool.Get().(*scratch)}
	defer img.pool.Put(s.sc)
	return s.WriteAt(p, off)
}

func (img *Image) write(p []byte, off int64, sc *scratch) error {
	if img.upper == nil {
		return fmt.Errorf("%w: %w", ErrReadOnly, syscall.EROFS)
	}
	if err := img.checkRange(off, int64(len(p))); err != nil {
		return err
	}
	if s, ok := img.upper.(*lsmt.SparseLayer); ok && len(img.lowers) > 0 {
		return img.writeSparseOverLowers(s, p, off, sc)
	}
	return img.upper.WriteAt(p, off)
}

// Zero makes [off, off+n) read as zeros: a discard or write-zeroes.
func (img *Image) Zero(off, n int64) error {
	if img.upper == nil {
		return fmt.Errorf("%w: %w", ErrReadOnly, syscall.EROFS)
	}
	if err := img.checkRange(off, n); err != nil {
		return err
	}
	switch u := img.upper.(type) {
	case *lsmt.RWLayer:
		return u.Zero(off, n)
	case *lsmt.SparseLayer:
		if len(img.lowers) == 0 {
			return u.PunchHole(off, n)
		}
		// A hole would let the lowers show through: write zeros instead.
		sc := img.pool.Get().(*scratch)
		defer img.pool.Put(sc)
		const chunk = 1 << 20
		zero := make([]byte, min(n, chunk))
		for n > 0 {
			k := min(n, chunk)
			if err := img.writeSparseOverLowers(u, zero[:k], off, sc); err != nil {
				return err
			}
			off, n = off+k, n-k
		}
		return nil
	}
	return errors.ErrUnsupported
}

// writeSparseOverLowers writes whole file-system blocks, filling the parts of them that p
// does not cover from the image as it reads now, so that a block the file system allocates
// never hides lower data after a restart.
func (img *Image) writeSparseOverLowers(s *lsmt.SparseLayer, p []byte, off int64, sc *scratch) error {
	s.LockBlocks()
	defer s.UnlockBlocks()
	bs := s.BlockSize
	start := off / bs * bs
	end := min((off+int64(len(p))+bs-1)/bs*bs, img.size)
	if start == off && end == off+int64(len(p)) {
		return s.WriteAt(p, off)
	}
	if int64(cap(sc.rmw)) < end-start {
		sc.rmw = make([]byte, end-start)
	}
	buf := sc.rmw[:end-start]
	if err := img.read(buf, start, sc); err != nil {
		return err
	}
	copy(buf[off-start:], p)
	return s.WriteAt(buf, start)
}

// Flush makes every completed write durable.
func (img *Image) Flush() error {
	if img.upper == nil {
		return nil
	}
	return img.upper.Flush()
}

// Close closes every layer.
func (img *Image) Close() error {
	img.closeOnce.Do(func() {
		img.runCloseHooks()
		for _, l := range img.lowers {
			if err := l.Close(); err != nil && img.closeErr == nil {
				img.closeErr = err
			}
		}
		if img.upper != nil {
			if err := img.upper.Close(); err != nil && img.closeErr == nil {
				img.closeErr = err
			}
		}
	})
	return img.closeErr
}
