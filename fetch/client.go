package fetch

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// ClientOptions adjust NewClient; the zero value is the production setting.
type ClientOptions struct {
	// Transport replaces the base HTTP transport (tests inject faults here). The proxy and
	// certificate settings of the global config then are the caller's business.
	Transport http.RoundTripper
	// Logger receives warnings; nil is slog.Default().
	Logger *slog.Logger
	// Backoff is the first retry's wait (doubling after each); 0 is 100ms.
	Backoff time.Duration
	// NoExporter keeps the metrics endpoint closed even if the config enables it.
	NoExporter bool
}

// Client is what the node shares among its remote blobs: transport, registry auth, block
// cache, the limit on requests in flight and the metrics. Safe for concurrent use.
type Client struct {
	g        *GlobalConfig
	cache    *Cache
	http     *http.Client // follows no redirects: a blob's storage URL is cached per blob
	sem      chan struct{}
	putSlots chan struct{} // bounds the cache stores pending in the background
	total    time.Duration
	attempt  time.Duration
	retries  int
	backoff  time.Duration
	maxRange int64
	accel    bool // blob requests go through the P2P accelerator
	log      *slog.Logger
	metrics  *metrics

	mu    sync.Mutex
	repos map[repoLocation]*repoAuth
	stats map[string]*Stats
}

// maxPendingPuts is how many fetched pieces may wait to be written to the cache; past it the
// fetches wait (back-pressure, not dropped blocks).
const maxPendingPuts = 64

// NewClient makes the node's client from its global config.
func NewClient(g *GlobalConfig, o ClientOptions) (*Client, error) {
	if g == nil {
		g = DefaultGlobalConfig()
	}
	if err := g.check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	c := &Client{
		g:        g,
		sem:      make(chan struct{}, g.FetchConfig.MaxInflight),
		putSlots: make(chan struct{}, maxPendingPuts),
		retries:  g.FetchConfig.Retries,
		backoff:  o.Backoff,
		maxRange: int64(g.FetchConfig.MaxRangeKB) << 10,
		log:      o.Logger,
		repos:    make(map[repoLocation]*repoAuth),
		stats:    make(map[string]*Stats),
	}
	c.total, c.attempt = g.timeouts()
	if c.backoff <= 0 {
		c.backoff = 100 * time.Millisecond
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if g.CredentialConfig.Mode == "http" {
		c.log.Warn("credentialConfig mode http (an auth service) is not supported: only the user's docker config is used", "service", g.CredentialConfig.Path)
	}
	base := o.Transport
	if base == nil {
		t, err := newTransport(g)
		if err != nil {
			return nil, err
		}
		base = t
	}
	if p := g.P2PConfig; p.Enable {
		if addr, ok := acceleratorReachable(p.Address); ok {
			base = &accelTransport{prefix: addr, next: base}
			c.accel = true
			c.log.Info("P2P accelerator in use", "address", addr)
		} else {
			c.log.Warn("P2P accelerator not reachable, fetching from the registry directly", "address", p.Address)
		}
	}
	c.http = &http.Client{
		Transport: base,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	cache, err := OpenCache(g.EffectiveCacheDir(), g.CacheSizeBytes(), int(g.CacheConfig.BlockSize))
	if err != nil {
		return nil, err
	}
	c.cache = cache
	c.metrics = newMetrics(c)
	if g.ExporterConfig.Enable && !o.NoExporter {
		if err := c.metrics.serve(g.ExporterConfig); err != nil {
			// Several dadi daemons on one node share the config: the first one serves.
			c.log.Warn("metrics exporter not started", "err", err)
		}
	}
	return c, nil
}

// Cache is the node's block cache.
func (c *Client) Cache() *Cache { return c.cache }

// Config is the global config the client was made from.
func (c *Client) Config() *GlobalConfig { return c.g }

// MetricsAddr is where the metrics endpoint listens, or "".
func (c *Client) MetricsAddr() string { return c.metrics.addr() }

// Close stops the metrics endpoint and waits for a running cache eviction.
func (c *Client) Close() error {
	c.metrics.close()
	return c.cache.Close()
}

// acquire takes one of the node's in-flight request slots.
func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) release() { <-c.sem }

// StatsFor is the counters of one image label (made on first use).
func (c *Client) StatsFor(image string) *Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats[image]
	if s == nil {
		s = &Stats{}
		s.latency = c.metrics.latencyFor(image)
		c.stats[image] = s
	}
	return s
}
