// Package file is a ublk target that serves a device from a file or block device, like the
// kernel's loop driver (`dadi serve --file`). Its I/O goes through each queue's own ring
// (ublk.QueueContext.SQE), so a queue never blocks its thread on a pread; where a copy cannot
// wait on a device (the page cache with RWF_NOWAIT, tmpfs) it is done inline on the queue
// thread instead. It opens files with O_DIRECT where the file system allows it.
package file
