package main

import (
	"os"
	"strings"
	"testing"
)

// On a kernel without ublk, serve fails with one clear sentence saying what is missing.
func TestServeWithoutUblk(t *testing.T) {
	if _, err := os.Stat("/dev/ublk-control"); err == nil {
		t.Skip("this kernel has ublk; the no-ublk error cannot be shown here")
	}
	root := newRootCmd()
	root.SetArgs([]string{"serve", "--null", "1G"})
	err := root.Execute()
	if err == nil {
		t.Fatal("serve succeeded without ublk")
	}
	for _, want := range []string{"/dev/ublk-control", "modprobe ublk_drv"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
}
