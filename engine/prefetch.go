package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dadi-dev/dadi/lsmt"
)

// DefaultPrefetchConcurrency is overlaybd's prefetchConfig.concurrency default.
const DefaultPrefetchConcurrency = 16

// traceState is what an Image keeps for prefetch and recording. Its zero value does nothing:
// the read path then pays two atomic adds and one atomic load per request.
type traceState struct {
	demand atomic.Int64                 // demand reads in flight
	rec    atomic.Pointer[readRecorder] // set while recording
	mu     sync.Mutex                   // guards stops and closed
	stops  []func()                     // run by Close before the layers close
	closed bool
	replay atomic.Pointer[ReplayStats] // the last replay's figures, once it ends
}

// demandStart marks a demand read of the disk; recording notes it. It is called by the queue
// targets and ReadAt, never by prefetch.
func (img *Image) demandStart(off int64, n uint32) {
	img.trace.demand.Add(1)
	// A read beyond the disk fails and moves no blob bytes: it has no place in a trace, and
	// TraceFromReads would refuse the whole recording for it.
	if r := img.trace.rec.Load(); r != nil && off >= 0 && int64(n) <= img.size-off {
		r.note(off, int64(n))
	}
}

func (img *Image) demandDone() { img.trace.demand.Add(-1) }

// onClose registers f to run when the image closes, before its layers close. It returns false,
// registering nothing, once the image is closing.
func (img *Image) onClose(f func()) bool {
	img.trace.mu.Lock()
	defer img.trace.mu.Unlock()
	if img.trace.closed {
		return false
	}
	img.trace.stops = append(img.trace.stops, f)
	return true
}

// stopTrace ends prefetch and recording; Close calls it first.
func (img *Image) stopTrace() {
	img.trace.mu.Lock()
	stops := img.trace.stops
	img.trace.stops, img.trace.closed = nil, true
	img.trace.mu.Unlock()
	for i := len(stops) - 1; i >= 0; i-- {
		stops[i]()
	}
}

// ReplayStats are the figures of one replay.
type ReplayStats struct {
	Records int // in the trace
	Done    int // read
	Failed  int // reads that failed (logged; replay goes on)
	Bytes   int64
	Elapsed time.Duration
	Stopped bool // the image closed first
}

// Replay reads the trace's records from the lowers' blobs in the background, in recorded
// order, with concurrency workers, so that remote blobs land in the block cache before the
// device asks for them. The records are checked against the stack first (CheckTrace): a
// record outside its layer's blob is an ErrBadTrace error and nothing is read. Demand reads go first: a
// worker starts a read only while prefetch and demand reads in flight together stay below
// concurrency, so a burst of demand reads never queues behind prefetch at the sources. Close
// stops the replay (between reads) and waits for it. done, if not nil, is called with the
// figures when the replay ends; it is not called when the records are refused.
func (img *Image) Replay(recs []TraceRecord, concurrency int, log *slog.Logger, done func(ReplayStats)) error {
	if err := CheckTrace(recs, img.BlobSizes(), "replay"); err != nil {
		return err
	}
	if concurrency <= 0 {
		concurrency = DefaultPrefetchConcurrency
	}
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if !img.onClose(func() { cancel(); wg.Wait() }) {
		cancel()
		return nil
	}

	var next, active atomic.Int64
	var st struct {
		sync.Mutex
		ReplayStats
	}
	st.Records = len(recs)
	start := time.Now()
	worker := func() {
		defer wg.Done()
		buf := make([]byte, TraceMaxIO)
		for ctx.Err() == nil {
			i := next.Add(1) - 1
			if i >= int64(len(recs)) {
				return
			}
			r := recs[i]
			if r.Op != TraceRead {
				continue
			}
			for active.Load()+img.trace.demand.Load() >= int64(concurrency) {
				if ctx.Err() != nil {
					return
				}
				time.Sleep(50 * time.Microsecond)
			}
			active.Add(1)
			src := img.lowers[r.Layer].Source()
			err := lsmt.ReadFull(src, src.Name(), buf[:r.Count], r.Offset)
			active.Add(-1)
			st.Lock()
			if err != nil {
				st.Failed++
				log.Warn("prefetch: read failed", "layer", r.Layer, "offset", r.Offset, "bytes", r.Count, "err", err)
			} else {
				st.Done++
				st.Bytes += int64(r.Count)
			}
			st.Unlock()
		}
	}
	log.Info("prefetch: replay", "records", len(recs), "layers", len(img.lowers), "concurrency", concurrency)
	wg.Add(concurrency)
	for range concurrency {
		go worker()
	}
	go func() {
		wg.Wait()
		s := st.ReplayStats
		s.Elapsed, s.Stopped = time.Since(start), ctx.Err() != nil
		img.trace.replay.Store(&s)
		log.Info("prefetch: replay done", "records", s.Done, "failed", s.Failed,
			"MiB", fmt.Sprintf("%.1f", float64(s.Bytes)/(1<<20)), "elapsed", s.Elapsed.Round(time.Millisecond), "stopped", s.Stopped)
		if done != nil {
			done(s)
		}
	}()
	return nil
}

// LastReplay returns the figures of the last replay that ended, or nil.
func (img *Image) LastReplay() *ReplayStats { return img.trace.replay.Load() }
