package main

import (
	"fmt"

	"github.com/dadi-dev/dadi/ublk"
)

// testWrapTarget, when set, wraps the target serve opens. Only the cmd/dadi VM test binary
// sets it (serve_panic_vm_test.go), to plant a panic at one offset and see serve's exit status;
// bin/dadi has no code that sets it, so no flag, environment variable or input can plant a
// fault in production.
var testWrapTarget func(ublk.Target) ublk.Target

// targetPanicsError is serve's exit error when requests panicked in the target: each was
// answered with EIO and the device kept serving, but a panic is a bug and scripts and tests
// must see it in the exit status.
func targetPanicsError(n int64) error {
	switch n {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("1 request panicked in the target and was answered with EIO (the log has the stack)")
	}
	return fmt.Errorf("%d requests panicked in the target and were answered with EIO (the log has the stacks)", n)
}
