// Package uring is a thin io_uring for dadi's block queues, on golang.org/x/sys/unix.
//
// It does what the queues need and no more: set up a ring (optionally with 128-byte SQEs for
// ublk control commands), map its queues, hand out SQEs, submit and wait, read CQEs in place,
// and register files and buffers. There is no reaper goroutine and no channel: the
// goroutine that owns a Ring drives it, and nothing allocates per I/O. A Ring is not safe for
// concurrent use; ublk requires each queue's commands to come from one thread anyway. Another
// goroutine wakes a ring's owner by writing an eventfd the owner keeps a read of on its ring
// (ublk's QueueContext.Wake), not through the ring.
package uring
