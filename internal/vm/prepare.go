package vm

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Prepare installs missing host tools and makes sure the guest kernel is cached, printing a
// line only when it has something to install or download.
func Prepare(log io.Writer) (*Kernel, error) {
	cache, err := cacheDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, fmt.Errorf("cache directory: %w", err)
	}
	if err := ensureTools(log, filepath.Join(cache, "tools.lock")); err != nil {
		return nil, err
	}
	return PrepareKernel(log)
}
