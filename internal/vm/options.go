package vm

import (
	"fmt"
	"io"
	"time"

	"github.com/dadi-dev/dadi/internal/units"
)

// Options shape one run.
type Options struct {
	CPUs    int
	MemMiB  int
	Timeout time.Duration
	Verbose bool
	Accel   string // "tcg" or "kvm"
	Stdout  io.Writer
	Stderr  io.Writer
}

// Exit statuses of vmrun's own failures, as timeout(1) and the shell use them, so they stay
// apart from the ordinary statuses of a command.
const (
	StatusTimeout    = 124
	StatusFailed     = 125
	StatusCannotExec = 126
	StatusNotFound   = 127
)

// ParseMem reads a memory size the way qemu's -m does: a bare number counts MiB, a suffix
// (K, M, G, T, optionally followed by "iB" or "B") says otherwise, and fractions such as 1.5G
// are allowed. The guest needs 256 MiB to 1 TiB.
func ParseMem(s string) (int, error) {
	b, err := units.Parse(s, units.Spec{Bare: units.MiB, Min: 256 << 20, Max: 1 << 40, Fraction: true})
	if err != nil {
		return 0, fmt.Errorf("memory size: %w", err)
	}
	return int(b >> 20), nil
}

// ParseAccel checks the accelerator named by DADI_VM_ACCEL: TCG unless KVM is asked for,
// since KVM guests are known to crash on some of the machines this runs on.
func ParseAccel(s string) (string, error) {
	switch s {
	case "", "tcg":
		return "tcg", nil
	case "kvm":
		return "kvm", nil
	}
	return "", fmt.Errorf("DADI_VM_ACCEL=%q: want tcg or kvm", s)
}
