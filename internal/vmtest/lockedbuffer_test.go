package vmtest

import (
	"os/exec"
	"strings"
	"testing"
)

// A child's stderr is read while exec still copies into it: with -race this fails for a plain
// bytes.Buffer, as Daemon.Stderr did.
func TestLockedBufferReadWhileChildWrites(t *testing.T) {
	b := &LockedBuffer{}
	cmd := exec.Command("sh", "-c", `i=0; while [ $i -lt 200 ]; do echo line $i >&2; i=$((i+1)); done`)
	cmd.Stderr = b
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for reading := true; reading; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			reading = false
		default:
			_ = b.String()
		}
	}
	if n := strings.Count(b.String(), "\n"); n != 200 {
		t.Fatalf("%d lines, want 200", n)
	}
}
