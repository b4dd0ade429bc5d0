package prefetch

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/lsmt"
)

// DefaultPrefetchConcurrency is overlaybd's prefetchConfig.concurrency default.
const DefaultPrefetchConcurrency = 16

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
func Replay(img *engine.Image, recs []TraceRecord, concurrency int, log *slog.Logger, done func(ReplayStats)) error {
	if err := CheckTrace(recs, BlobSizes(img), "replay"); err != nil {
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
	if !img.OnClose(func() { cancel(); wg.Wait() }) {
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
			for active.Load()+img.DemandReads() >= int64(concurrency) {
				if ctx.Err() != nil {
					return
				}
				time.Sleep(50 * time.Microsecond)
			}
			active.Add(1)
			src := img.Lowers()[r.Layer].Source()
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
	log.Info("prefetch: replay", "records", len(recs), "layers", len(img.Lowers()), "concurrency", concurrency)
	wg.Add(concurrency)
	for range concurrency {
		go worker()
	}
	go func() {
		wg.Wait()
		s := st.ReplayStats
		s.Elapsed, s.Stopped = time.Since(start), ctx.Err() != nil
		log.Info("prefetch: replay done", "records", s.Done, "failed", s.Failed,
			"MiB", fmt.Sprintf("%.1f", float64(s.Bytes)/(1<<20)), "elapsed", s.Elapsed.Round(time.Millisecond), "stopped", s.Stopped)
		if done != nil {
			done(s)
		}
	}()
	return nil
}
