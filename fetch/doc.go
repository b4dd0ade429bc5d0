// Package fetch is where the bytes of a remote layer come from: an OCI registry blob read by
// HTTP range requests, kept in an on-disk block cache shared by every image on the node.
//
// A Client holds what is node-wide: the HTTP transport (proxy, P2P URL prefix), registry
// authentication (oras-go's auth client, credentials from overlaybd's credential file and the
// user's docker config), the block cache, the limit on requests in flight and the metrics.
// Client.OpenBlob gives a Blob, an io.ReaderAt over `GET <repoBlobUrl>/<digest>` that the
// engine stacks like a local layer file.
//
// A read is split into cache blocks (64 KiB by default). Hits are read from the cache; misses
// are fetched in ranges, several at once, each response checked (206, Content-Range, length),
// retried with backoff on resets, timeouts, 5xx and 429, handed to the readers, then stored in
// the cache, where a block counts only once its checksummed record follows its bytes (see
// Cache). Concurrent readers of a missing block share one fetch, and no lock is held across
// network I/O. A Blob may later switch to a local file that a background download
// placed after verifying its sha256.
//
// Errors wrap the sentinels in errors.go; none of them wraps a syscall.Errno, so a ublk
// completion maps every fetch failure to -EIO.
//
// Node-wide settings come from overlaybd's global config file (GlobalConfig), with the same
// keys, defaults and legacy keys.
package fetch
