package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dadi-dev/dadi/fetch"
	"github.com/dadi-dev/dadi/internal/atomicfile"
)

// Config is overlaybd's per-device config.v1.json. Only the keys the engine acts on are
// typed; the rest are kept so a config round-trips and later issues can read them.
type Config struct {
	RepoBlobURL       string          `json:"repoBlobUrl,omitempty"`
	Lowers            []LowerConfig   `json:"lowers"`
	Upper             *UpperConfig    `json:"upper,omitempty"`
	ResultFile        string          `json:"resultFile,omitempty"`
	Download          json.RawMessage `json:"download,omitempty"`
	AccelerationLayer bool            `json:"accelerationLayer,omitempty"`
	RecordTracePath   string          `json:"recordTracePath,omitempty"`
	// Dir is the directory of the config file; relative paths are taken from there.
	Dir string `json:"-"`
}

// LowerConfig is one read-only layer: a local file, or a registry blob (dir, digest, size).
type LowerConfig struct {
	File   string `json:"file,omitempty"`
	Dir    string `json:"dir,omitempty"`
	Digest string `json:"digest,omitempty"`
	Size   int64  `json:"size,omitempty"`
}

// UpperConfig is the writable layer.
type UpperConfig struct {
	Index string `json:"index"`
	Data  string `json:"data"`
}

// ParseConfig decodes and checks a config. name is used in errors.
func ParseConfig(b []byte, name string) (*Config, error) {
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(c.Lowers) > MaxLayers {
		return nil, fmt.Errorf("%s: %d lowers, at most %d layers can be stacked", name, len(c.Lowers), MaxLayers)
	}
	for i, l := range c.Lowers {
		if l.File == "" && l.Dir == "" {
			return nil, fmt.Errorf("%s: lowers[%d] has neither file nor dir", name, i)
		}
	}
	if c.Upper != nil && (c.Upper.Data == "" || c.Upper.Index == "") {
		return nil, fmt.Errorf("%s: upper needs both index and data", name)
	}
	if len(c.Lowers) == 0 && c.Upper == nil {
		return nil, fmt.Errorf("%s: no lowers and no upper", name)
	}
	return &c, nil
}

// LoadConfig reads a config file.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseConfig(b, path)
	if err != nil {
		return nil, err
	}
	c.Dir = filepath.Dir(path)
	return c, nil
}

// path resolves p against the config's directory.
func (c *Config) path(p string) string {
	if p == "" || filepath.IsAbs(p) || c.Dir == "" {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// LowerKind says where a lower's bytes are.
type LowerKind int

const (
	LowerFile       LowerKind = iota // the lower's file
	LowerDownloaded                  // its blob, downloaded whole into dir/overlaybd.commit
	LowerRemote                      // its blob in the registry: <repoBlobUrl>/<digest>
)

// LocateLower finds lower i as overlaybd does: its file if it names one, else the blob kept in
// its dir once downloaded (fetch.CommitFileName), else the blob in the registry when the lower
// has a digest and the config a repoBlobUrl. path is the local file (empty for LowerRemote).
// A lower found nowhere is an ErrNotSupported error. Opening, pulling and listing an image's
// files all ask here.
func (c *Config) LocateLower(i int) (kind LowerKind, path string, err error) {
	l := c.Lowers[i]
	if l.File != "" {
		return LowerFile, c.path(l.File), nil
	}
	p := c.downloadedPath(l)
	if _, err := os.Stat(p); err == nil {
		return LowerDownloaded, p, nil
	}
	if l.Digest != "" && c.RepoBlobURL != "" {
		return LowerRemote, "", nil
	}
	return 0, "", fmt.Errorf("dir %s, digest %s: no local %s and no repoBlobUrl to fetch it from: %w", l.Dir, l.Digest, fetch.CommitFileName, ErrNotSupported)
}

// LowerPath is the local file of lower i (LocateLower): its file, or the blob kept in its dir.
// A lower that exists only in a registry has none: an ErrNotSupported error.
func (c *Config) LowerPath(i int) (string, error) {
	kind, p, err := c.LocateLower(i)
	if err == nil && kind == LowerRemote {
		l := c.Lowers[i]
		err = fmt.Errorf("dir %s, digest %s: only in the registry, no local %s: %w", l.Dir, l.Digest, fetch.CommitFileName, ErrNotSupported)
	}
	return p, err
}

// downloadedPath is where a dir lower's blob is kept once downloaded.
func (c *Config) downloadedPath(l LowerConfig) string {
	return filepath.Join(c.path(l.Dir), fetch.CommitFileName)
}

// WriteResult writes overlaybd's result file: "success" or "failed:<reason>". It replaces
// the file by a rename, and never when it is one of the image's files.
func (c *Config) WriteResult(err error) error {
	if c.ResultFile == "" {
		return nil
	}
	msg := "success"
	if err != nil {
		msg = "failed:" + err.Error()
	}
	return atomicfile.WriteFile(c.path(c.ResultFile), []byte(msg), 0o644, c.Files()...)
}
