package engine

import (
	"github.com/dadi-dev/dadi/internal/atomicfile"
	"github.com/dadi-dev/dadi/lsmt"
)

// ErrOutputIsInput marks an output (of Commit, Merge) that is the same file as one of the
// files it is made from: writing it would destroy that input.
var ErrOutputIsInput = atomicfile.ErrOutputIsInput

// Files are the local files the config's image is made of, resolved as OpenConfig resolves
// them: each lower's file (or the blob kept in its dir, whether or not it is there yet) and
// the upper's data and index. A command writing a file checks it against these first.
func (c *Config) Files() []string {
	var fs []string
	for _, l := range c.Lowers {
		if l.File != "" {
			fs = append(fs, c.path(l.File))
		}
		if l.Dir != "" {
			fs = append(fs, c.downloadedPath(l))
		}
	}
	if c.Upper != nil {
		fs = append(fs, c.path(c.Upper.Data), c.path(c.Upper.Index))
	}
	return fs
}

// ConfigFiles are a config file and the files of its image (see Config.Files).
func ConfigFiles(configPath string) ([]string, error) {
	c, err := LoadConfig(configPath)
	if err != nil {
		return nil, err
	}
	return append([]string{configPath}, c.Files()...), nil
}

// Files are the local files the image reads: its lowers' files, its upper's data and index
// and, when it was opened from a config, the files that config names.
func (img *Image) Files() []string {
	var fs []string
	for _, l := range img.lowers {
		if p := l.File(); p != "" {
			fs = append(fs, p)
		}
	}
	if img.upper != nil {
		fs = append(fs, lsmt.UpperFiles(img.upper)...)
	}
	if img.cfg != nil {
		fs = append(fs, img.cfg.Files()...)
	}
	return fs
}
