// Package ublk serves Linux block devices from user space through the kernel's ublk driver.
//
// A Device is created through the control device /dev/ublk-control; each of its queues is a
// goroutine locked to one OS thread for life (the kernel requires every io command of a queue
// to come from the thread that fetched it), pinned to the CPUs the kernel's queue affinity
// gives, owning an io_uring on which it fetches requests and commits results. Requests go to
// a Target.
package ublk
