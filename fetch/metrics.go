package fetch

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics exposes a Client's Stats (per image) and cache counters to Prometheus on its own
// registry, so nothing leaks into a process-global one.
type metrics struct {
	c       *Client
	reg     *prometheus.Registry
	latency *prometheus.HistogramVec

	mu  sync.Mutex
	srv *http.Server
	ln  net.Listener
}

var (
	descBytes     = prometheus.NewDesc("dadi_fetch_bytes_total", "Bytes fetched from the registry.", []string{"image"}, nil)
	descRequests  = prometheus.NewDesc("dadi_fetch_requests_total", "Range requests sent to the registry, retries included.", []string{"image"}, nil)
	descRetries   = prometheus.NewDesc("dadi_fetch_retries_total", "Range requests that were retries.", []string{"image"}, nil)
	descFailures  = prometheus.NewDesc("dadi_fetch_failures_total", "Reads that failed after their retries.", []string{"image"}, nil)
	descHits      = prometheus.NewDesc("dadi_cache_hits_total", "Blocks read from the block cache.", []string{"image"}, nil)
	descMisses    = prometheus.NewDesc("dadi_cache_misses_total", "Blocks not in the block cache.", []string{"image"}, nil)
	descRead      = prometheus.NewDesc("dadi_read_bytes_total", "Bytes read from remote layers.", []string{"image"}, nil)
	descEvictions = prometheus.NewDesc("dadi_cache_evictions_total", "Blocks evicted from the block cache.", nil, nil)
	descUsage     = prometheus.NewDesc("dadi_cache_bytes", "Bytes in the block cache.", nil, nil)
)

func newMetrics(c *Client) *metrics {
	m := &metrics{c: c, reg: prometheus.NewRegistry()}
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dadi_fetch_latency_seconds",
		Help:    "Time from sending a range request to having its whole body.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"image"})
	m.reg.MustRegister(m.latency, m)
	return m
}

func (m *metrics) latencyFor(image string) prometheus.Observer {
	return m.latency.WithLabelValues(image)
}

// Describe and Collect make metrics a prometheus.Collector over the Stats atomics.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBytes, descRequests, descRetries, descFailures, descHits, descMisses, descRead, descEvictions, descUsage} {
		ch <- d
	}
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.c.mu.Lock()
	stats := make(map[string]*Stats, len(m.c.stats))
	for k, v := range m.c.stats {
		stats[k] = v
	}
	m.c.mu.Unlock()
	counter := func(d *prometheus.Desc, v int64, image string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), image)
	}
	for image, s := range stats {
		counter(descBytes, s.BytesFetched.Load(), image)
		counter(descRequests, s.Requests.Load(), image)
		counter(descRetries, s.Retries.Load(), image)
		counter(descFailures, s.Failures.Load(), image)
		counter(descHits, s.CacheHits.Load(), image)
		counter(descMisses, s.CacheMisses.Load(), image)
		counter(descRead, s.BytesRead.Load(), image)
	}
	ch <- prometheus.MustNewConstMetric(descEvictions, prometheus.CounterValue, float64(m.c.cache.Evictions.Load()))
	ch <- prometheus.MustNewConstMetric(descUsage, prometheus.GaugeValue, float64(m.c.cache.Usage()))
}

// serve starts the endpoint: <address or :port><uriPrefix>.
func (m *metrics) serve(e ExporterConfig) error {
	addr := e.Address
	if addr == "" {
		addr = ":" + strconv.Itoa(e.Port)
	}
	prefix := e.URIPrefix
	if prefix == "" || prefix[0] != '/' {
		prefix = "/" + prefix
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("exporter on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle(prefix, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	m.mu.Lock()
	m.srv, m.ln = &http.Server{Handler: mux}, ln
	m.mu.Unlock()
	go func() {
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.c.log.Warn("metrics exporter stopped", "err", err)
		}
	}()
	return nil
}

func (m *metrics) addr() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ln == nil {
		return ""
	}
	return m.ln.Addr().String()
}

func (m *metrics) close() {
	m.mu.Lock()
	srv := m.srv
	m.srv, m.ln = nil, nil
	m.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}
