// Package engine opens overlaybd images and reads and writes them synchronously.
//
// An image is what a config.v1.json describes: a stack of read-only LSMT layers (lsmt.ROLayer,
// bottom first, local files or registry blobs fetched on demand through fetch) and an optional
// writable upper (lsmt.Upper). An Image looks ranges up in the merged index of the lowers
// (index.Static, top layer wins) under the upper's, and is read and written directly or
// through a Session, one caller's allocation-free handle (targets/image serves an Image as a
// ublk device through one Session per queue). Merge flattens an image into one read-only
// layer the way overlaybd-merge does, Flatten into a raw disk.
//
// The layer format is package lsmt's; trace recording, replay and file-list prefetch are
// package prefetch's, which uses the hooks here (demand reads in flight, a read observer,
// close hooks). A corrupt layer is an error wrapping ErrCorrupt with the file name and offset;
// a read never returns bytes it could not vouch for (the ublk completion says -EIO).
package engine
