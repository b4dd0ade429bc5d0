package fetch

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Stats counts one image's registry traffic and cache use. The counters are plain atomics,
// so the read path pays an add; the metrics endpoint reads them when scraped.
type Stats struct {
	BytesFetched atomic.Int64 // body bytes of successful range responses
	Requests     atomic.Int64 // range requests sent, retries included
	Retries      atomic.Int64 // requests that were a retry
	Failures     atomic.Int64 // reads that failed after their retries
	CacheHits    atomic.Int64 // blocks read from the cache
	CacheMisses  atomic.Int64 // blocks that had to be fetched
	BytesRead    atomic.Int64 // bytes the engine asked for

	latency prometheus.Observer
}

func (s *Stats) observe(d time.Duration) {
	if s.latency != nil {
		s.latency.Observe(d.Seconds())
	}
}
