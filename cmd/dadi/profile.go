package main

import (
	"fmt"
	"log/slog"
	"runtime/pprof"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/internal/atomicfile"
)

// startCPUProfile profiles the whole process into path, which may not be one of inputs; the
// returned function ends it. The profile is written beside path and renamed into place when
// it ends, so a file of the same name stays as it was until then.
func startCPUProfile(path string, inputs ...string) (func(), error) {
	f, err := atomicfile.Create(path, 0o644, inputs...)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Abort()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Commit(); err != nil {
			slog.Warn("--cpuprofile", "err", err)
		}
	}, nil
}

// serveInputs are the files `dadi serve` reads, which its --cpuprofile may not replace: the
// backing file, the configs and the image's layers. A config that does not load is reported
// when the target is opened, not here.
func serveInputs(o *serveOptions) []string {
	in := []string{o.file, o.global}
	if o.config == "" {
		return in
	}
	if files, err := engine.ConfigFiles(o.config); err == nil {
		return append(in, files...)
	}
	return append(in, o.config)
}
