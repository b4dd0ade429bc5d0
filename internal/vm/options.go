package vm

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
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

// ParseMem reads a memory size the way qemu's -m does: a number of MiB, or a number with a
// K, M, G or T suffix (optionally followed by "iB" or "B").
func ParseMem(s string) (int, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	shift := 20 // bytes per unit, as a power of two; MiB by default
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			shift = 10
		case 'M':
			shift = 20
		case 'G':
			shift = 30
		case 'T':
			shift = 40
		}
		if t[n-1] < '0' || t[n-1] > '9' {
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("memory size %q: want a size such as 2G or 512M", s)
	}
	mib := int(v * float64(uint64(1)<<shift) / (1 << 20))
	if mib < 256 {
		return 0, fmt.Errorf("memory size %q: the guest needs at least 256M", s)
	}
	return mib, nil
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
