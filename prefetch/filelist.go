package prefetch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	iofs "io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/ext4"
)

// ListTrace turns overlaybd's prefetch file list (one path inside the image's file system a
// line) into trace records.
func ListTrace(img *engine.Image, path string) ([]TraceRecord, error) {
	return FileListTrace(img, path, slog.Default())
}

// FileListTrace turns overlaybd's prefetch file list into trace records: the blobs' bytes
// behind the data blocks of each listed file of the ext4 file system on the image, file
// after file in list order. The list holds one absolute path a line (blank lines are
// skipped); symlinks are followed. A listed path the file system lacks is logged and
// skipped, as overlaybd does; a list line that is not an absolute path, or a file system
// that breaks the format (ext4.ErrCorrupt), is an error and gives no records. The metadata
// read to find the files (superblock, inodes, directories, extent trees) is read through the
// image as the kernel would, but is neither a demand read nor part of the records.
func FileListTrace(img *engine.Image, path string, log *slog.Logger) ([]TraceRecord, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	paths, err := parseFileList(b, path)
	if err != nil {
		return nil, err
	}
	fs, err := ext4.Open(metaReader{img}, img.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: image file system: %w", path, err)
	}
	var reads []DeviceRead
	for _, p := range paths {
		in, err := fs.Lookup(p)
		if errors.Is(err, iofs.ErrNotExist) {
			log.Warn("prefetch: listed file not in the image", "list", path, "file", p)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, p, err)
		}
		rs, err := fs.DataRanges(&in)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, p, err)
		}
		for _, r := range rs {
			reads = append(reads, DeviceRead{Offset: r.Offset, Length: r.Length})
		}
	}
	return TraceFromReads(img, reads)
}

// parseFileList splits a file list into its paths.
func parseFileList(b []byte, name string) ([]string, error) {
	var paths []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			continue
		case !strings.HasPrefix(line, "/") || strings.ContainsRune(line, 0):
			return nil, fmt.Errorf("%s:%d: %w: file list line is not an absolute path: %.60q", name, n, ErrBadTrace, line)
		}
		paths = append(paths, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrBadTrace, err)
	}
	return paths, nil
}

// metaReader reads the image for the file-list walk: any byte range, not counted as a demand
// read nor recorded.
type metaReader struct{ img *engine.Image }

func (m metaReader) ReadAt(p []byte, off int64) (int, error) {
	if err := m.img.ReadUntraced(p, off); err != nil {
		return 0, err
	}
	return len(p), nil
}
