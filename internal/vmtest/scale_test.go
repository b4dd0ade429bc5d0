package vmtest

import (
	"testing"
	"time"
)

func TestScale(t *testing.T) {
	base := Scale(time.Second)
	if base < time.Second {
		t.Fatalf("Scale(1s) = %s: deadlines never shrink", base)
	}
	if got := Scale(2 * time.Second); got != 2*base {
		t.Fatalf("Scale(2s) = %s, want %s", got, 2*base)
	}
}

func TestPoll(t *testing.T) {
	n := 0
	if !Poll(time.Second, time.Millisecond, func() bool { n++; return n == 3 }) {
		t.Fatal("Poll gave up on a condition that came true")
	}
	start := time.Now()
	if Poll(20*time.Millisecond, time.Millisecond, func() bool { return false }) {
		t.Fatal("Poll reported a condition that never held")
	}
	if took := time.Since(start); took < Scale(20*time.Millisecond) {
		t.Fatalf("Poll gave up after %s, before its bound", took)
	}
}
