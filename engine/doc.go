// Package engine opens overlaybd LSMT layers and serves images made of them.
//
// A read-only layer (ROLayer) is an LSMT file, possibly inside a ZFile, possibly inside
// overlaybd's one-file tar (unwrapped in that order: tar, ZFile, LSMT), read from any Source.
// A writable layer is either append-only (RWLayer: a data file and an index file) or sparse
// (SparseLayer: one file, data at 4096 + LBA×512). An Image stacks read-only lowers and an
// optional writable upper, looks ranges up in the merged index (index.Static, top layer wins)
// and is read and written directly or through a Session, one caller's allocation-free handle
// (targets/image serves an Image as a ublk device through one Session per queue). Commit and
// Merge write a read-only layer the way overlaybd-commit and overlaybd-merge do.
//
// Every check of a layer that fails is an error wrapping ErrCorrupt with the file name and
// offset; a read never returns bytes it could not vouch for (the ublk completion says -EIO).
package engine
