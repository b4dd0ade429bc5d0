package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// CommitFileName is where a layer's whole blob is kept in its dir once downloaded, and
// DownloadTmpName where it is assembled: overlaybd's names, so either daemon finds the other's.
const (
	CommitFileName  = "overlaybd.commit"
	DownloadTmpName = "overlaybd.download"
)

// DownloadJob is one blob to download into Dir.
type DownloadJob struct {
	Blob *Blob
	Dir  string
}

// Download is a background download of an image's remote layers, one after another: after
// the configured delay each blob is fetched whole (at most maxMBps), its sha256 checked
// against its digest, then renamed to Dir/overlaybd.commit and the Blob switched to it, so
// later reads are local. A blob whose bytes do not match its digest is thrown away and tried
// again, up to tryCnt times, and each mismatch is logged.
type Download struct {
	c      *Client
	jobs   []DownloadJob
	cfg    DownloadConfig
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	errs []error
}

// StartDownload starts downloading jobs in the background. Stop ends it.
func (c *Client) StartDownload(jobs []DownloadJob, cfg DownloadConfig) *Download {
	ctx, cancel := context.WithCancel(context.Background())
	d := &Download{c: c, jobs: jobs, cfg: cfg, cancel: cancel, done: make(chan struct{})}
	go d.run(ctx)
	return d
}

// Stop cancels the download and waits for it to end.
func (d *Download) Stop() {
	d.cancel()
	<-d.done
}

// Done is closed when every job has finished or given up.
func (d *Download) Done() <-chan struct{} { return d.done }

// Errors are the failures so far, one per failed try.
func (d *Download) Errors() []error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]error(nil), d.errs...)
}

func (d *Download) run(ctx context.Context) {
	defer close(d.done)
	delay := time.Duration(d.cfg.Delay) * time.Second
	if d.cfg.DelayExtra > 0 {
		delay += rand.N(time.Duration(d.cfg.DelayExtra) * time.Second)
	}
	if !sleepCtx(ctx, delay) {
		return
	}
	queue := append([]DownloadJob(nil), d.jobs...)
	tries := map[*Blob]int{}
	for len(queue) > 0 && ctx.Err() == nil {
		j := queue[0]
		queue = queue[1:]
		if j.Blob.closed.Load() {
			continue
		}
		err := d.one(ctx, j)
		if err == nil || ctx.Err() != nil {
			continue
		}
		d.mu.Lock()
		d.errs = append(d.errs, err)
		d.mu.Unlock()
		d.c.log.Error("background download failed", "blob", j.Blob.name, "dir", j.Dir, "err", err)
		if tries[j.Blob]++; tries[j.Blob] < max(d.cfg.TryCnt, 1) {
			queue = append(queue, j)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// one downloads a blob unless its commit file is already there, then switches to the file.
func (d *Download) one(ctx context.Context, j DownloadJob) error {
	final := filepath.Join(j.Dir, CommitFileName)
	if _, err := os.Stat(final); err == nil {
		return j.Blob.SwitchToFile(final)
	}
	if err := os.MkdirAll(j.Dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(j.Dir, DownloadTmpName)
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	// Another daemon downloading the same layer: let it finish.
	if !tryLock(f) {
		return nil
	}
	if err := d.fetchInto(ctx, j.Blob, f); err != nil {
		return err
	}
	got, err := fileSHA256(f)
	if err != nil {
		return err
	}
	if "sha256:"+got != j.Blob.digest {
		os.Remove(tmp)
		purged := j.Blob.purgeCache()
		return fmt.Errorf("%s: %w: downloaded bytes hash to sha256:%s; download discarded, %d cached blocks of the blob purged", j.Blob.name, ErrDigestMismatch, got, purged)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	d.c.log.Info("layer downloaded and verified", "blob", j.Blob.name, "file", final)
	if err := j.Blob.SwitchToFile(final); err != nil {
		return err
	}
	j.Blob.checkCache(f)
	return nil
}

// fetchInto appends the blob to f from where an earlier try stopped, in download.blockSize
// ranges, at most maxMBps.
func (d *Download) fetchInto(ctx context.Context, b *Blob, f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	bs := int64(d.cfg.BlockSize)
	off := st.Size() / bs * bs
	if off > b.size {
		off = 0
	}
	if err := f.Truncate(off); err != nil {
		return err
	}
	buf := make([]byte, bs)
	start, sent := time.Now(), int64(0)
	for off < b.size {
		n := min(bs, b.size-off)
		rctx, cancel := context.WithTimeout(ctx, b.c.total)
		err := b.fetchRange(rctx, off, buf[:n])
		cancel()
		if err != nil {
			return err
		}
		if _, err := f.WriteAt(buf[:n], off); err != nil {
			return err
		}
		off += n
		sent += n
		if d.cfg.MaxMBps > 0 {
			// Sleep off what ran ahead of the allowed rate.
			ahead := time.Duration(float64(sent)/float64(int64(d.cfg.MaxMBps)<<20)*float64(time.Second)) - time.Since(start)
			if !sleepCtx(ctx, ahead) {
				return ctx.Err()
			}
		}
	}
	return nil
}

func fileSHA256(f *os.File) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, 1<<62)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// SwitchToFile makes later reads come from a local copy of the blob (a verified download).
func (b *Blob) SwitchToFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil || st.Size() != b.size {
		f.Close()
		if err == nil {
			err = fmt.Errorf("%s: %w: %s is %d bytes, the blob %d", b.name, ErrBadResponse, path, st.Size(), b.size)
		}
		return err
	}
	if b.closed.Load() {
		f.Close()
		return fmt.Errorf("%s: %w", b.name, ErrClosed)
	}
	if old := b.local.Swap(f); old != nil {
		old.Close()
	}
	if b.closed.Load() {
		// Close ran meanwhile and may have missed f.
		if f := b.local.Swap(nil); f != nil {
			f.Close()
		}
	}
	return nil
}
