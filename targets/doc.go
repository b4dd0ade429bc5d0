// Package targets holds what dadi serves as a block device: each sub-package is one
// ublk.Target, kept apart from the protocol library in ublk/ as ublksrv keeps its targets/
// apart from libublksrv.
//
//   - targets/null: completes every request at once without touching data, to measure the
//     ublk path itself (`dadi serve --null`).
//   - targets/file: a file or block device through each queue's ring, like the kernel's loop
//     driver (`dadi serve --file`).
//   - targets/image: an overlaybd image (engine.Image) (`dadi serve --config`).
//
// A target uses only what ublk exports: ublk.QueueContext for SQEs on the queue's ring and for
// waking the queue from other goroutines, and ublk.HostQueue for tests without a ublk kernel.
package targets
