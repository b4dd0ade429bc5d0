package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// fetchRange fills dst with the blob's bytes at off, retrying what may succeed on a second
// try (connection resets, timeouts, truncated bodies, misplaced ranges, 5xx, 429) with
// exponential backoff, until ctx ends or the retries run out. Refusals (401, 403, 404, a
// server that ignores Range) fail at once.
func (b *Blob) fetchRange(ctx context.Context, off int64, dst []byte) error {
	c := b.c
	redirects := 0
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			b.stats.Retries.Add(1)
		}
		err := b.tryRange(ctx, off, dst)
		if err == nil {
			return nil
		}
		if errors.Is(err, errRedirected) && redirects < 3 {
			// Not a failure: go to the storage URL straight away, without counting a retry.
			redirects++
			attempt--
			continue
		}
		var re *retryable
		if !errors.As(err, &re) {
			b.stats.Failures.Add(1)
			return err
		}
		if attempt >= c.retries || ctx.Err() != nil {
			b.stats.Failures.Add(1)
			return fmt.Errorf("%s: bytes %d-%d: %w after %d tries: %v", b.name, off, off+int64(len(dst))-1, ErrFetch, attempt+1, re.err)
		}
		d := c.backoff << min(attempt, 5)
		d = d/2 + rand.N(d)                      // jitter: nodes that failed together don't retry together
		d = min(max(d, re.after), 5*time.Second) // a server's Retry-After is a floor, within reason
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			d = time.Until(dl)
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
}

// retryable marks a failure worth another try; after is the server's Retry-After.
type retryable struct {
	err   error
	after time.Duration
}

func (r *retryable) Error() string { return r.err.Error() }

// errRedirected is a registry's redirect to a storage URL, now cached for the blob.
var errRedirected = errors.New("redirected")

func retry(format string, args ...any) error {
	return &retryable{err: fmt.Errorf(format, args...)}
}

// tryRange sends one range request and checks the response: status 206, a Content-Range that
// is the range asked for in a blob of the expected size, and a body of exactly that length.
func (b *Blob) tryRange(ctx context.Context, off int64, dst []byte) error {
	c := b.c
	actx, cancel := context.WithTimeout(ctx, c.attempt)
	defer cancel()
	if err := c.acquire(actx); err != nil {
		return retry("waiting for a request slot: %v", err)
	}
	defer c.release()

	target, storage := b.target()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("%s: %w: %v", b.name, ErrConfig, err)
	}
	last := off + int64(len(dst)) - 1
	if c.accel {
		req.Header.Set(accelHeader, "1")
	}
	req.Header.Set("Range", "bytes="+strconv.FormatInt(off, 10)+"-"+strconv.FormatInt(last, 10))
	start := time.Now()
	b.stats.Requests.Add(1)
	var resp *http.Response
	if storage {
		// A storage URL is presigned: the registry's Authorization must not travel there.
		resp, err = c.http.Do(req)
	} else {
		resp, err = b.repo.do(req)
	}
	if err != nil {
		if errors.Is(err, ErrUnauthorized) {
			return err
		}
		b.dropRedirect(storage)
		return retry("%s", redact(err))
	}
	defer resp.Body.Close()

	switch st := resp.StatusCode; {
	case st == http.StatusPartialContent:
	case st == http.StatusOK && off == 0 && int64(len(dst)) == b.size:
		// The whole blob asked for and sent whole: as good as a 206.
	case st == http.StatusOK:
		return fmt.Errorf("%s: %w: status 200 for a range request: the server ignores Range", b.name, ErrBadResponse)
	case st >= 300 && st < 400 && !storage:
		loc, err := resp.Location()
		if err != nil {
			return fmt.Errorf("%s: %w: redirect %d without a Location", b.name, ErrBadResponse, st)
		}
		b.setRedirect(loc)
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return errRedirected
	case storage && (st == 401 || st == 403 || st == 404 || st >= 300 && st < 400):
		// A storage URL that expired: ask the registry for a fresh one.
		b.dropRedirect(true)
		return retry("storage URL answered %d", st)
	case st == 401 || st == 403:
		return b.repo.authError(st)
	case st == 404:
		return fmt.Errorf("%s: %w (HTTP 404)", b.name, ErrNotFound)
	case st == 429 || st == 408 || st >= 500:
		b.dropRedirect(storage)
		return &retryable{err: fmt.Errorf("HTTP %d", st), after: retryAfter(resp)}
	default:
		return fmt.Errorf("%s: %w: HTTP %d", b.name, ErrBadResponse, st)
	}
	if resp.StatusCode == http.StatusPartialContent {
		first, l, total, err := ParseContentRange(resp.Header.Get("Content-Range"))
		if err != nil {
			return retry("%v", err)
		}
		if first != off || l != last {
			return retry("%v: asked for bytes %d-%d, got %d-%d", ErrBadResponse, off, last, first, l)
		}
		if b.size < 0 {
			b.size = total // probeSize, before the blob is shared
		} else if total >= 0 && total != b.size {
			return fmt.Errorf("%s: %w: registry says the blob is %d bytes, the config says %d", b.name, ErrBadResponse, total, b.size)
		}
	}
	if resp.ContentLength >= 0 && resp.ContentLength != int64(len(dst)) {
		return retry("%v: Content-Length %d for %d bytes", ErrBadResponse, resp.ContentLength, len(dst))
	}
	if n, err := io.ReadFull(resp.Body, dst); err != nil {
		b.dropRedirect(storage)
		return retry("body cut after %d of %d bytes: %s", n, len(dst), redactErr(err))
	}
	b.stats.observe(time.Since(start))
	b.stats.BytesFetched.Add(int64(len(dst)))
	return nil
}

func redactErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// retryAfter reads a Retry-After given in seconds (the form registries use).
func retryAfter(resp *http.Response) time.Duration {
	s, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || s < 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}
