// Package prefetch warms an image's blobs the way overlaybd does: overlaybd's prefetch trace
// files (ParseTrace, EncodeTrace, CheckTrace), recording an image's demand reads into one
// (StartRecording, TraceFromReads maps device reads to blob ranges), replaying one in the
// background with workers that yield to demand reads (Replay), and prefetch by file list,
// read through the image's ext4 (FileListTrace). Start honours a config's recordTracePath
// as overlaybd does, with its .lock/.ok handshake.
//
// It uses an engine.Image through its prefetch hooks (DemandReads, ObserveReads, OnClose,
// ReadUntraced); the image knows nothing of traces. A bad trace or file list is an error
// wrapping ErrBadTrace.
package prefetch
