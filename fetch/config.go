package fetch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// DefaultGlobalConfigPath is where overlaybd, and so dadi, looks for the node-wide config.
const DefaultGlobalConfigPath = "/etc/overlaybd/overlaybd.json"

// GlobalConfig is overlaybd's global config file (overlaybd.json): the same keys with the same
// defaults, legacy top-level keys included. Keys dadi does not act on (audit, gzip cache, log
// rotation, ...) are parsed so a real file loads, and ignored. FetchConfig and the fields
// marked "dadi" are dadi's own additions; overlaybd ignores unknown keys, so one file serves
// both.
type GlobalConfig struct {
	LogConfig        LogConfig        `json:"logConfig"`
	CacheConfig      CacheConfig      `json:"cacheConfig"`
	CredentialConfig CredentialConfig `json:"credentialConfig"`
	P2PConfig        P2PConfig        `json:"p2pConfig"`
	PrefetchConfig   PrefetchConfig   `json:"prefetchConfig"`
	ExporterConfig   ExporterConfig   `json:"exporterConfig"`
	CertConfig       CertConfig       `json:"certConfig"`
	GzipCacheConfig  GzipCacheConfig  `json:"gzipCacheConfig"`
	Download         DownloadConfig   `json:"download"`
	FetchConfig      FetchConfig      `json:"fetchConfig"`
	IOEngine         uint32           `json:"ioEngine"`
	UserAgent        string           `json:"userAgent"`
	EnableAudit      bool             `json:"enableAudit"`
	AuditPath        string           `json:"auditPath"`
	EnableThread     bool             `json:"enableThread"`
	RegistryFsVer    string           `json:"registryFsVersion"`

	// Legacy top-level keys, used when their newer section leaves them unset.
	RegistryCacheDir    string `json:"registryCacheDir"`
	RegistryCacheSizeGB uint32 `json:"registryCacheSizeGB"`
	CacheType           string `json:"cacheType"`
	CredentialFilePath  string `json:"credentialFilePath"`
	LogLevel            uint32 `json:"logLevel"`
	LogPath             string `json:"logPath"`

	// Path is the file the config came from; "" for built-in defaults.
	Path string `json:"-"`
}

// LogConfig is overlaybd's logConfig; dadi logs with slog to stderr and ignores it.
type LogConfig struct {
	LogLevel     uint32 `json:"logLevel"`
	LogPath      string `json:"logPath"`
	LogSizeMB    uint32 `json:"logSizeMB"`
	LogRotateNum int    `json:"logRotateNum"`
}

// CacheConfig is the registry cache. dadi keeps one block cache whatever cacheType says
// ("file", "ocf" and "download" are accepted).
type CacheConfig struct {
	CacheType   string `json:"cacheType"`
	CacheDir    string `json:"cacheDir"`
	CacheSizeGB uint32 `json:"cacheSizeGB"`
	RefillSize  uint32 `json:"refillSize"`
	BlockSize   uint32 `json:"blockSize"`
	// CacheSizeMB (dadi) overrides cacheSizeGB when non-zero: small caches for tests.
	CacheSizeMB uint32 `json:"cacheSizeMB,omitempty"`
}

// CredentialConfig says where registry credentials are: mode "file" (a docker-style auths
// file at path) or "http" (an auth service, not supported by dadi). An empty mode means the
// legacy credentialFilePath.
type CredentialConfig struct {
	Mode    string `json:"mode"`
	Path    string `json:"path"`
	Timeout int    `json:"timeout"`
}

// P2PConfig is overlaybd's URL-prefix accelerator: with enable, a blob URL u is fetched as
// `<address>/<u>` with the same headers. Proxy (dadi) is an HTTP(S) proxy URL for every
// registry request (Dragonfly's daemon is used this way); without it the environment's
// HTTP_PROXY / HTTPS_PROXY / NO_PROXY apply.
type P2PConfig struct {
	Enable  bool   `json:"enable"`
	Address string `json:"address"`
	Proxy   string `json:"proxy,omitempty"`
}

// PrefetchConfig is the trace replay's concurrency.
type PrefetchConfig struct {
	Concurrency int `json:"concurrency"`
}

// ExporterConfig is the Prometheus endpoint: http://<any>:port<uriPrefix>. Address (dadi),
// "host:port", overrides the port and listens there instead.
type ExporterConfig struct {
	Enable         bool   `json:"enable"`
	URIPrefix      string `json:"uriPrefix"`
	Port           int    `json:"port"`
	UpdateInterval uint64 `json:"updateInterval"`
	Address        string `json:"address,omitempty"`
}

// CertConfig is a client certificate for the registry (mutual TLS).
type CertConfig struct {
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
}

// GzipCacheConfig is overlaybd's cache for gzip layers; dadi has no gzip layers yet.
type GzipCacheConfig struct {
	Enable      bool   `json:"enable"`
	CacheDir    string `json:"cacheDir"`
	CacheSizeGB uint32 `json:"cacheSizeGB"`
	RefillSize  uint32 `json:"refillSize"`
}

// DownloadConfig is the background download of whole blobs. It appears in the global config
// (the default) and in an image's config.v1.json (which wins).
type DownloadConfig struct {
	Enable     bool   `json:"enable"`
	Delay      int    `json:"delay"`      // seconds after the image opens
	DelayExtra int    `json:"delayExtra"` // plus a random 0..delayExtra seconds
	MaxMBps    int    `json:"maxMBps"`    // 0: no limit
	TryCnt     int    `json:"tryCnt"`
	BlockSize  uint32 `json:"blockSize"` // bytes per range request
}

// FetchConfig (dadi) tunes registry requests.
type FetchConfig struct {
	// MaxInflight is how many range requests the node has in flight at once.
	MaxInflight int `json:"maxInflight"`
	// TimeoutMs bounds one read of a remote range, retries included; past it the read fails
	// (a ublk read then completes with EIO).
	TimeoutMs int `json:"timeoutMs"`
	// AttemptTimeoutMs bounds one request: a hung server is given up on after it.
	AttemptTimeoutMs int `json:"attemptTimeoutMs"`
	// Retries is how many times a failed request is retried.
	Retries int `json:"retries"`
	// MaxRangeKB is the largest range one request asks for.
	MaxRangeKB int `json:"maxRangeKB"`
}

// DefaultDownloadConfig is overlaybd's default download section.
func DefaultDownloadConfig() DownloadConfig {
	return DownloadConfig{Delay: 300, DelayExtra: 30, MaxMBps: 100, TryCnt: 5, BlockSize: 262144}
}

// DefaultGlobalConfig is what overlaybd uses for keys a file leaves out.
func DefaultGlobalConfig() *GlobalConfig {
	return &GlobalConfig{
		LogConfig: LogConfig{LogLevel: 1, LogSizeMB: 10, LogRotateNum: 3},
		CacheConfig: CacheConfig{
			CacheDir: "/opt/overlaybd/registry_cache", CacheSizeGB: 4,
			RefillSize: 262144, BlockSize: 65536,
		},
		CredentialConfig: CredentialConfig{Timeout: 1},
		P2PConfig:        P2PConfig{Address: "http://localhost:9731/accelerator"},
		PrefetchConfig:   PrefetchConfig{Concurrency: 16},
		ExporterConfig:   ExporterConfig{URIPrefix: "/metrics", Port: 9863, UpdateInterval: 60 * 1000 * 1000},
		GzipCacheConfig:  GzipCacheConfig{CacheDir: "/opt/overlaybd/gzip_cache", CacheSizeGB: 4, RefillSize: 1 << 20},
		Download:         DefaultDownloadConfig(),
		FetchConfig: FetchConfig{
			MaxInflight: 32, TimeoutMs: 30000, AttemptTimeoutMs: 10000, Retries: 5, MaxRangeKB: 256,
		},
		EnableAudit:         true,
		AuditPath:           "/var/log/overlaybd-audit.log",
		RegistryFsVer:       "v2",
		RegistryCacheDir:    "/opt/overlaybd/registry_cache",
		RegistryCacheSizeGB: 4,
		CacheType:           "file",
		CredentialFilePath:  "/opt/overlaybd/cred.json",
		LogLevel:            1,
		LogPath:             "/var/log/overlaybd.log",
	}
}

// ParseGlobalConfig decodes a global config over the defaults and checks it. name is used in
// errors.
func ParseGlobalConfig(b []byte, name string) (*GlobalConfig, error) {
	g := DefaultGlobalConfig()
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(g); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrConfig, err)
	}
	if err := g.check(); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrConfig, err)
	}
	g.Path = name
	return g, nil
}

// LoadGlobalConfig reads a global config file. A missing file at the default path gives the
// defaults (a node without overlaybd installed); any other missing file is an error.
func LoadGlobalConfig(path string) (*GlobalConfig, error) {
	if path == "" {
		path = DefaultGlobalConfigPath
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && path == DefaultGlobalConfigPath {
			return DefaultGlobalConfig(), nil
		}
		return nil, fmt.Errorf("global config: %w", err)
	}
	return ParseGlobalConfig(b, path)
}

func (g *GlobalConfig) check() error {
	switch t := g.EffectiveCacheType(); t {
	case "file", "ocf", "download":
	default:
		return fmt.Errorf("unknown cache type %q (file, ocf or download)", t)
	}
	if g.IOEngine > 2 {
		return fmt.Errorf("unknown ioEngine %d (0, 1 or 2)", g.IOEngine)
	}
	if bs := g.CacheConfig.BlockSize; bs < 4096 || bs > 16<<20 || bs&(bs-1) != 0 {
		return fmt.Errorf("cacheConfig.blockSize %d: must be a power of two from 4096 to 16 MiB", bs)
	}
	switch g.CredentialConfig.Mode {
	case "", "file", "http":
	default:
		return fmt.Errorf("credentialConfig.mode %q: must be file or http", g.CredentialConfig.Mode)
	}
	f := &g.FetchConfig
	if f.MaxInflight < 1 || f.MaxInflight > 1024 {
		return fmt.Errorf("fetchConfig.maxInflight %d: must be 1 to 1024", f.MaxInflight)
	}
	if f.TimeoutMs < 1 || f.AttemptTimeoutMs < 1 {
		return fmt.Errorf("fetchConfig timeouts must be positive")
	}
	if f.Retries < 0 || f.Retries > 100 {
		return fmt.Errorf("fetchConfig.retries %d: must be 0 to 100", f.Retries)
	}
	if f.MaxRangeKB < 4 || f.MaxRangeKB > 64<<10 {
		return fmt.Errorf("fetchConfig.maxRangeKB %d: must be 4 to 65536", f.MaxRangeKB)
	}
	if err := g.Download.check("download"); err != nil {
		return err
	}
	if e := g.ExporterConfig; e.Enable && e.Address == "" && (e.Port < 0 || e.Port > 65535) {
		return fmt.Errorf("exporterConfig.port %d out of range", e.Port)
	}
	return nil
}

func (d DownloadConfig) check(key string) error {
	if d.Delay < 0 || d.DelayExtra < 0 || d.MaxMBps < 0 || d.TryCnt < 0 {
		return fmt.Errorf("%s: delay, delayExtra, maxMBps and tryCnt must not be negative", key)
	}
	if d.BlockSize == 0 || d.BlockSize > 64<<20 {
		return fmt.Errorf("%s.blockSize %d: must be 1 byte to 64 MiB", key, d.BlockSize)
	}
	return nil
}

// ParseDownloadConfig reads an image's download section over the global one, as overlaybd
// does: an image config without the section takes the global one whole.
func ParseDownloadConfig(raw json.RawMessage, global DownloadConfig) (DownloadConfig, error) {
	if len(raw) == 0 {
		return global, nil
	}
	d := DefaultDownloadConfig()
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, fmt.Errorf("download: %w: %w", ErrConfig, err)
	}
	if err := d.check("download"); err != nil {
		return d, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return d, nil
}

// EffectiveCacheType, EffectiveCacheDir and CacheSizeBytes apply overlaybd's rule: when
// cacheConfig.cacheType is empty the legacy top-level keys are in force.
func (g *GlobalConfig) EffectiveCacheType() string {
	if g.CacheConfig.CacheType == "" {
		return g.CacheType
	}
	return g.CacheConfig.CacheType
}

// EffectiveCacheDir is the cache directory in force.
func (g *GlobalConfig) EffectiveCacheDir() string {
	if g.CacheConfig.CacheType == "" {
		return g.RegistryCacheDir
	}
	return g.CacheConfig.CacheDir
}

// CacheSizeBytes is the cache's size limit in bytes; 0 disables the cache.
func (g *GlobalConfig) CacheSizeBytes() int64 {
	if g.CacheConfig.CacheSizeMB != 0 {
		return int64(g.CacheConfig.CacheSizeMB) << 20
	}
	if g.CacheConfig.CacheType == "" {
		return int64(g.RegistryCacheSizeGB) << 30
	}
	return int64(g.CacheConfig.CacheSizeGB) << 30
}

// CredentialFile is the docker-style auths file in force, or "" for none (mode http).
func (g *GlobalConfig) CredentialFile() string {
	switch g.CredentialConfig.Mode {
	case "":
		return g.CredentialFilePath
	case "file":
		return g.CredentialConfig.Path
	}
	return ""
}

// timeouts returns the fetch timeouts as durations.
func (g *GlobalConfig) timeouts() (total, attempt time.Duration) {
	f := g.FetchConfig
	return time.Duration(f.TimeoutMs) * time.Millisecond, time.Duration(f.AttemptTimeoutMs) * time.Millisecond
}
