package main

import (
	"log/slog"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/fetch"
	"github.com/dadi-dev/dadi/prefetch"
)

// startImagePrefetch honours the image config's recordTracePath as overlaybd does (record,
// replay, or a file list; see prefetch.Start), with the node config's
// prefetchConfig.concurrency replay workers (nil: the default). A bad trace is logged as an
// error and the image is served without prefetch, as overlaybd does; it never stops the device.
func startImagePrefetch(img *engine.Image, global *fetch.GlobalConfig, log *slog.Logger) {
	conc := 0
	if global != nil {
		conc = max(global.PrefetchConfig.Concurrency, 0)
	}
	mode, err := prefetch.StartConfig(img, prefetch.PrefetchOptions{Concurrency: conc, Logger: log})
	if err != nil {
		log.Error("prefetch: nothing will be prefetched", "mode", mode, "err", err)
	}
}
