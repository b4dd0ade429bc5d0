package main

import (
	"encoding/json"
	"path/filepath"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/internal/atomicfile"
	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/perf"
	"github.com/dadi-dev/dadi/zfile"
)

// benchImages builds the images `dadi bench` serves through the layer engine, the same code
// `dadi create` and `dadi commit` run.
type benchImages struct{}

var _ perf.Images = benchImages{}

// Layer builds a read-only layer from base through the layer engine, as `dadi create` then
// `dadi commit [-z --algorithm A --bs B]` would.
func (benchImages) Layer(base, layer string, im perf.Image) error {
	o := lsmt.CommitOptions{}
	if im.Codec.ZFile() {
		alg, err := zfile.ParseAlgorithm(string(im.Codec))
		if err != nil {
			return err
		}
		o.Compress, o.ZFile = true, zfile.Options{Algorithm: alg, BlockSize: int(im.ZFileBS)}
	}
	return lsmt.ImportRaw(base, layer, o)
}

// Config makes a fresh writable layer in dir over layer and the config.v1.json stacking them.
func (benchImages) Config(layer, dir string) (string, error) {
	l, err := lsmt.OpenLayerFile(layer)
	if err != nil {
		return "", err
	}
	size := l.VirtualSize()
	l.Close()
	data, index := filepath.Join(dir, "upper.data"), filepath.Join(dir, "upper.index")
	if err := lsmt.CreateRW(data, index, lsmt.CreateOptions{VirtualSize: size}); err != nil {
		return "", err
	}
	cfg := engine.Config{
		Lowers: []engine.LowerConfig{{File: layer}},
		Upper:  &engine.UpperConfig{Data: data, Index: index},
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "config.v1.json")
	return p, atomicfile.WriteFile(p, b, 0o644, layer, data, index)
}

// Flatten writes the whole image a config describes to a raw file, for the loop reference.
func (benchImages) Flatten(config, out string) error { return engine.Flatten(config, out) }
