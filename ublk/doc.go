// Package ublk serves Linux block devices from user space through the kernel's ublk driver.
//
// A Device is created through the control device /dev/ublk-control; each of its queues is a
// goroutine locked to one OS thread for life (the kernel requires every io command of a queue
// to come from the thread that fetched it), pinned to the CPUs the kernel's queue affinity
// gives, owning an io_uring on which it fetches requests and commits results. Requests go to
// a Target (the targets themselves live in targets/); a target's per-queue half gets a
// QueueContext to put its own I/O on the queue's ring and to have other goroutines wake the
// queue (an eventfd the queue keeps a read of on its ring). HostQueue runs the same queue code
// on a plain ring, so targets are tested on hosts without ublk.
package ublk
