package main

import (
	"errors"
	"testing"

	"github.com/dadi-dev/dadi/internal/units"
)

// TestSizeConventions: each command keeps the bare-number unit of the overlaybd tool it
// mirrors (create: GiB, --bs: KiB below 1024, bytes from 1024), and sizes that overflow or
// fall outside the flag's range are errors.
func TestSizeConventions(t *testing.T) {
	for in, want := range map[string]int64{"1": 1 << 30, "32M": 32 << 20, "33554432B": 32 << 20, "512": 512 << 30, "4096P": 1 << 62} {
		if got, err := parseVirtualSize(in); err != nil || got != want {
			t.Errorf("create size %q = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "-1", "1000B", "4097P", "4294967297", "1.5G", "18014398509481984K"} {
		if v, err := parseVirtualSize(in); !errors.Is(err, units.ErrRange) && !errors.Is(err, units.ErrSyntax) {
			t.Errorf("create size %q = %d, %v; want an error", in, v, err)
		}
	}
	for in, want := range map[string]int{"4": 4 << 10, "64": 64 << 10, "16K": 16 << 10, "32KiB": 32 << 10, "8kB": 8 << 10, "65536": 64 << 10, "4096": 4 << 10} {
		if got, err := parseZfileBlockSize(in); err != nil || got != want {
			t.Errorf("--bs %q = %d, %v; want %d", in, got, err, want)
		}
	}
	// 18014398509481984K is 2^64 bytes: the old parser wrapped it to 0 (then the default
	// block size); 18014398509481988K wrapped to 4K.
	for _, in := range []string{"18014398509481984K", "18014398509481988K", "18014398509481984", "3", "128", "1M", "2048", "-4", "4X"} {
		if v, err := parseZfileBlockSize(in); err == nil {
			t.Errorf("--bs %q = %d, want an error", in, v)
		} else {
			t.Logf("--bs %s: %v", in, err)
		}
	}
	if v, err := maxIOBytes("512K"); err != nil || v != 512<<10 {
		t.Errorf("--max-io 512K = %d, %v", v, err)
	}
	for _, in := range []string{"0", "1000", "64M", "18014398509481988K"} {
		if v, err := maxIOBytes(in); err == nil {
			t.Errorf("--max-io %q = %d, want an error", in, v)
		}
	}
}
