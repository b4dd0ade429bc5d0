package main

import (
	"fmt"
	"time"
)

// Ranges of the numeric flags, checked before anything is created so that a mistyped number
// is one clear error instead of a kernel EINVAL, a silent default or a huge allocation. Each
// flag's help text states its range.

// maxDeviceID is the largest ublk device number (the kernel's UBLK_MINORS is 1<<20).
const maxDeviceID = 1<<20 - 1

// maxWorkers bounds zfile compress --workers: each worker holds batches of blocks in memory.
const maxWorkers = 1024

// checkInt says whether flag's value v lies in [lo, hi].
func checkInt(flag string, v, lo, hi int) error {
	if v < lo || v > hi {
		return fmt.Errorf("%s %d: out of range, want %d to %d", flag, v, lo, hi)
	}
	return nil
}

// checkDuration says whether flag's value d lies in [lo, hi].
func checkDuration(flag string, d, lo, hi time.Duration) error {
	if d < lo || d > hi {
		return fmt.Errorf("%s %v: out of range, want %v to %v", flag, d, lo, hi)
	}
	return nil
}
