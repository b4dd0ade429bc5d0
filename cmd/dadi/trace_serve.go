package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/prefetch"
)

// overlaybdGlobalConfig is where overlaybd keeps prefetchConfig.concurrency.
const overlaybdGlobalConfig = "/etc/overlaybd/overlaybd.json"

// startImagePrefetch honours the image config's recordTracePath as overlaybd does (record,
// replay, or a file list; see engine.StartPrefetch). A bad trace is logged as an error and the
// image is served without prefetch, as overlaybd does; it never stops the device.
func startImagePrefetch(img *engine.Image, log *slog.Logger) {
	conc, err := prefetchConcurrency(overlaybdGlobalConfig)
	if err != nil {
		log.Warn("prefetch: global config", "err", err)
	}
	mode, err := prefetch.StartConfig(img, prefetch.PrefetchOptions{Concurrency: conc, Logger: log})
	if err != nil {
		log.Error("prefetch: nothing will be prefetched", "mode", mode, "err", err)
	}
}

// prefetchConcurrency reads prefetchConfig.concurrency from overlaybd's global config; 0 (the
// engine's default of 16) when the file or key is absent.
func prefetchConcurrency(path string) (int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var g struct {
		PrefetchConfig struct {
			Concurrency int `json:"concurrency"`
		} `json:"prefetchConfig"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return max(g.PrefetchConfig.Concurrency, 0), nil
}
