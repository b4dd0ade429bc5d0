// Package lsmt reads and writes overlaybd's LSMT layer format byte for byte: the 4 KiB
// header and trailer, read-only layers (ROLayer: committed, merged or sealed, plain or inside
// a ZFile and/or overlaybd's one-file tar, unwrapped in that order: tar, ZFile, LSMT, from any
// Source), and the two writable kinds: append-only (RWLayer: a data file and an index file)
// and sparse (SparseLayer: one file, data at 4096 + LBA×512). CreateRW makes a writable
// layer as overlaybd-create does; Commit compacts one into a read-only layer as
// overlaybd-commit does, and WriteLayer writes any list of segments (engine.Merge flattens a
// stack with it).
//
// It knows nothing of images: stacking layers and config.v1.json are the engine's.
//
// Every check of a layer that fails is an error wrapping ErrCorrupt (errs.ErrCorrupt) with the
// file name and offset; a read never returns bytes it could not vouch for.
package lsmt
