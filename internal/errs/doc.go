// Package errs is dadi's one error family, as pebble's internal/base is pebble's: the kinds
// every package's errors unwrap to, and the one mapping from an error to the errno a block
// request completes with.
//
// A package keeps its own name for a kind (zfile.ErrCorrupt, lsmt.ErrCorrupt, ext4.ErrCorrupt)
// as an alias of the kind here, so errors.Is(err, errs.ErrCorrupt) holds for corruption found
// anywhere, and callers never check two sentinels at once. Messages say the file and offset.
package errs
