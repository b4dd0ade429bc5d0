package main

import (
	"log/slog"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/fetch"
	"github.com/dadi-dev/dadi/targets/image"
	"github.com/dadi-dev/dadi/ublk"
)

// openImageTarget opens the overlaybd image a config.v1.json describes. An image without a
// writable upper is exposed read-only, so file systems mount it as such instead of failing
// on their first write.
func openImageTarget(o *serveOptions) (ublk.Target, uint64, string, error) {
	// The node config is parsed once, here: the engine's remote lowers and prefetch's
	// concurrency both take it. --global-config must load; the default file may be absent or
	// bad while the image has no remote lowers (the engine then reports it if they need it).
	global, err := loadGlobalConfig(o.global) // --global-config (pull.go)
	if err != nil {
		return nil, 0, "", err
	}
	if global == nil {
		if g, err := fetch.LoadGlobalConfig(""); err == nil {
			global = g
		} else {
			slog.Warn("node config", "err", err)
		}
	}
	img, err := engine.OpenImage(o.config, engine.OpenOptions{ReadOnly: o.readOnly, Global: global})
	if err != nil {
		return nil, 0, "", err
	}
	startImagePrefetch(img, global, slog.Default()) // recordTracePath: record, replay or file list (trace_serve.go)
	if img.UpperLayer() == nil && !o.readOnly {
		slog.Info("image has no writable upper layer: serving it read-only", "config", o.config)
		o.readOnly = true
	}
	return image.New(img), kindImage, "image:" + o.config, nil
}
