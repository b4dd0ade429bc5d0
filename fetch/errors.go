package fetch

import "errors"

var (
	// ErrUnauthorized is a registry that refused the credentials (or their absence).
	ErrUnauthorized = errors.New("registry authentication failed")
	// ErrNotFound is a blob the registry does not have.
	ErrNotFound = errors.New("blob not found")
	// ErrBadResponse is a response that breaks the protocol: a wrong status, a Content-Range
	// that is not the range asked for, a body of the wrong length.
	ErrBadResponse = errors.New("bad registry response")
	// ErrFetch is a fetch that failed after its retries (resets, timeouts, 5xx, 429).
	ErrFetch = errors.New("fetch failed")
	// ErrDigestMismatch is a downloaded blob whose sha256 is not its digest.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrClosed is a read of a Blob after Close.
	ErrClosed = errors.New("blob closed")
	// ErrConfig is a global config or credential file that cannot be used.
	ErrConfig = errors.New("bad config")
)
