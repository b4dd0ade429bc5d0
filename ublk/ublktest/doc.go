// Package ublktest helps the tests of ublk and of the targets: a host queue (ublk.HostQueue)
// closed at the end of the test, and for the real-kernel tests a device that is stopped, and
// checked gone, when the test ends.
package ublktest
