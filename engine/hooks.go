package engine

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/dadi-dev/dadi/lsmt"
)

// hooks are what an Image offers prefetch (package prefetch) without knowing it: a count of
// demand reads in flight (replay yields to them), an observer of demand reads (recording), and
// functions run when the image closes, before its layers close. The zero value does nothing:
// the read path then pays two atomic adds and one atomic load per request.
type hooks struct {
	demand   atomic.Int64                       // demand reads in flight
	observer atomic.Pointer[func(off, n int64)] // set while recording
	mu       sync.Mutex                         // guards stops and closed
	stops    []func()                           // run by Close before the layers close
	closed   bool
}

// demandStart marks a demand read of the disk and shows it to the observer. It is called by
// Session.ReadAt (the queue targets and Image.ReadAt), never by prefetch.
func (img *Image) demandStart(off int64, n uint32) {
	img.hooks.demand.Add(1)
	// A read beyond the disk fails and moves no blob bytes: it has no place in a trace, and
	// mapping it to blob ranges would refuse the whole recording for it.
	if f := img.hooks.observer.Load(); f != nil && off >= 0 && int64(n) <= img.size-off {
		(*f)(off, int64(n))
	}
}

func (img *Image) demandDone() { img.hooks.demand.Add(-1) }

// DemandReads is the number of demand reads (ublk requests, ReadAt) in flight now.
func (img *Image) DemandReads() int64 { return img.hooks.demand.Load() }

// ObserveReads makes f see every demand read of the disk inside it (offset and length in
// bytes) until ObserveReads(nil); f runs on the reading goroutine and must be quick.
func (img *Image) ObserveReads(f func(off, n int64)) {
	if f == nil {
		img.hooks.observer.Store(nil)
		return
	}
	img.hooks.observer.Store(&f)
}

// OnClose registers f to run when the image closes, before its layers close, last registered
// first. It returns false, registering nothing, once the image is closing.
func (img *Image) OnClose(f func()) bool {
	img.hooks.mu.Lock()
	defer img.hooks.mu.Unlock()
	if img.hooks.closed {
		return false
	}
	img.hooks.stops = append(img.hooks.stops, f)
	return true
}

// runCloseHooks ends prefetch and recording; Close calls it first.
func (img *Image) runCloseHooks() {
	img.hooks.mu.Lock()
	stops := img.hooks.stops
	img.hooks.stops, img.hooks.closed = nil, true
	img.hooks.mu.Unlock()
	for i := len(stops) - 1; i >= 0; i-- {
		stops[i]()
	}
}

// ReadUntraced reads any byte range of the disk (whole sectors are read underneath), as
// metadata for prefetch: it is neither a demand read nor seen by the observer.
func (img *Image) ReadUntraced(p []byte, off int64) error {
	if len(p) == 0 {
		return nil
	}
	start := off / lsmt.SectorSize * lsmt.SectorSize
	end := (off + int64(len(p)) + lsmt.SectorSize - 1) / lsmt.SectorSize * lsmt.SectorSize
	if off < 0 || end > img.size {
		return fmt.Errorf("read of %d bytes at %d beyond the %d-byte disk", len(p), off, img.size)
	}
	buf := p
	if start != off || end != off+int64(len(p)) {
		buf = make([]byte, end-start)
	}
	sc := img.pool.Get().(*scratch)
	defer img.pool.Put(sc)
	if err := img.read(buf, start, sc); err != nil {
		return err
	}
	if &buf[0] != &p[0] {
		copy(p, buf[off-start:])
	}
	return nil
}
