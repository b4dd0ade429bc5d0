package prefetch

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/dadi-dev/dadi/engine"
)

// PrefetchMode is what a config's recordTracePath asks for, decided as overlaybd decides it.
type PrefetchMode int

const (
	PrefetchDisabled PrefetchMode = iota // no path, or no file there
	PrefetchRecord                       // an empty file: record a trace into it
	PrefetchReplay                       // a trace file: replay it
	PrefetchFileList                     // any other file: a list of paths to prefetch
)

func (m PrefetchMode) String() string {
	return [...]string{"disabled", "record", "replay", "file-list"}[m]
}

// DetectPrefetchMode looks at path: missing, empty, a trace (by its magic) or a file list.
func DetectPrefetchMode(path string) (PrefetchMode, error) {
	if path == "" {
		return PrefetchDisabled, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return PrefetchDisabled, nil
	}
	if err != nil {
		return PrefetchDisabled, err
	}
	defer f.Close()
	head := make([]byte, TraceHeaderSize)
	n, err := io.ReadFull(f, head)
	switch {
	case n == 0 && (err == io.EOF):
		return PrefetchRecord, nil
	case IsTrace(head[:n]):
		return PrefetchReplay, nil
	case err != nil && err != io.ErrUnexpectedEOF:
		return PrefetchDisabled, err
	}
	return PrefetchFileList, nil
}

// PrefetchOptions adjust StartPrefetch.
type PrefetchOptions struct {
	Concurrency int           // replay workers; DefaultPrefetchConcurrency when 0
	Logger      *slog.Logger  // slog.Default() when nil
	LockPoll    time.Duration // how often recording looks for the lock file; 1 s when 0
	// ReplayDone, if set, is called with the figures when a replay ends.
	ReplayDone func(ReplayStats)
}

// StartConfig acts on the recordTracePath of the image's config (see StartPrefetch).
func StartConfig(img *engine.Image, o PrefetchOptions) (PrefetchMode, error) {
	if c := img.Config(); c == nil || c.RecordTracePath == "" {
		return PrefetchDisabled, nil
	}
	return Start(img, img.Config().RecordTracePath, o)
}

// Start honours overlaybd's trace modes for path:
//   - no file: nothing;
//   - an empty file: record. PATH.lock is created; the image keeps its demand reads until the
//     lock file is removed (looked for every LockPoll) or the image closes, then writes the
//     trace to PATH, removes PATH.lock and creates PATH.ok;
//   - a trace file: check it whole against the stack, then replay it in the background
//     (Replay). A bad trace is an ErrBadTrace error and nothing is replayed;
//   - any other file: a list of paths inside the image's file system to prefetch (ListTrace).
func Start(img *engine.Image, path string, o PrefetchOptions) (PrefetchMode, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	mode, err := DetectPrefetchMode(path)
	if err != nil || mode == PrefetchDisabled {
		return mode, err
	}
	switch mode {
	case PrefetchRecord:
		return mode, startRecordMode(img, path, o)
	case PrefetchReplay:
		b, err := os.ReadFile(path)
		if err != nil {
			return mode, err
		}
		recs, err := ParseTrace(b, path)
		if err != nil {
			return mode, err
		}
		if err := CheckTrace(recs, BlobSizes(img), path); err != nil {
			return mode, err
		}
		return mode, Replay(img, recs, o.Concurrency, o.Logger, o.ReplayDone)
	default:
		recs, err := FileListTrace(img, path, o.Logger)
		if err != nil {
			return mode, err
		}
		return mode, Replay(img, recs, o.Concurrency, o.Logger, o.ReplayDone)
	}
}

// BlobSizes are the sizes of the lowers' blobs, bottom first.
func BlobSizes(img *engine.Image) []int64 {
	s := make([]int64, len(img.Lowers()))
	for i, l := range img.Lowers() {
		s[i] = l.Source().Size()
	}
	return s
}

func startRecordMode(img *engine.Image, path string, o PrefetchOptions) error {
	lock, ok := path+".lock", path+".ok"
	// overlaybd creates the lock exclusively and goes on whether or not it already existed.
	if f, err := os.OpenFile(lock, os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_EXCL, 0o666); err == nil {
		f.Close()
	}
	poll := o.LockPoll
	if poll <= 0 {
		poll = time.Second
	}
	rec := StartRecording(img)
	var once sync.Once
	dump := func() {
		once.Do(func() {
			n, err := dumpTrace(img, rec, path, lock, ok)
			if err != nil {
				o.Logger.Error("prefetch: writing the recorded trace", "path", path, "err", err)
				return
			}
			o.Logger.Info("prefetch: recorded trace", "path", path, "records", n)
		})
	}
	quit, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				if _, err := os.Stat(lock); errors.Is(err, os.ErrNotExist) {
					dump()
					return
				}
			}
		}
	}()
	if !img.OnClose(func() { close(quit); <-exited; dump() }) {
		close(quit)
		rec.Stop()
		return fmt.Errorf("image is closed")
	}
	o.Logger.Info("prefetch: recording", "trace", path, "stop by removing", lock)
	return nil
}

// dumpTrace writes the recorded reads to path as a trace, then removes the lock file and
// creates the ok file, the order overlaybd's users wait on.
func dumpTrace(img *engine.Image, rec *Recorder, path, lock, ok string) (int, error) {
	recs, err := TraceFromReads(img, rec.Stop())
	if err != nil {
		return 0, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return 0, err
	}
	if _, err := f.Write(EncodeTrace(recs)); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	os.Remove(lock)
	fok, err := os.OpenFile(ok, os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_EXCL, 0o666)
	if err != nil {
		return len(recs), fmt.Errorf("ok file: %w", err)
	}
	return len(recs), fok.Close()
}
