package engine

import "fmt"

// ListTrace turns overlaybd's prefetch file list (one path inside the image's file system a
// line) into trace records.
func (img *Image) ListTrace(path string) ([]TraceRecord, error) {
	return nil, fmt.Errorf("%s: prefetch from a file list is %w yet", path, ErrNotSupported)
}
