// Package vmtest holds helpers for the real-kernel tests that run inside the VM booted by
// bin/vmrun (files with the `vm` build tag, tests named TestVM*): finding the repository and
// its binaries, running fio and reading its JSON, waiting for devices.
package vmtest
