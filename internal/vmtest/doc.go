// Package vmtest holds helpers for the real-kernel tests that run inside the VM booted by
// bin/vmrun (files with the `vm` build tag, tests named TestVM*): finding the repository and
// its binaries, running fio and reading its JSON, waiting for devices.
//
// Time: under TCG everything is 10-30x slower than native, and more on a loaded host. Waits
// poll (Poll, WaitGone, Daemon.Wait) with bounds in minutes, and every deadline a test depends
// on is multiplied by one environment variable, DADI_TEST_TIME_SCALE (Scale; 1 when unset),
// which bin/vmrun passes into the VM with the rest of the environment. No test asserts how
// fast something is relative to something else; such ratios are benchmarks.
package vmtest
