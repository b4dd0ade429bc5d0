// Package ublktest helps the real-kernel tests of ublk and of the targets: a device created on
// the VM's kernel that is stopped, and checked gone, when the test ends.
package ublktest
