package units

import (
	"errors"
	"math"
	"strconv"
	"testing"
)

// TestParseForms: every form the four parsers this package replaced accepted still reads the
// same, with the caller's unit for a bare number.
func TestParseForms(t *testing.T) {
	for _, c := range []struct {
		in   string
		sp   Spec
		want int64
	}{
		{"0", Spec{}, 0},
		{"4096", Spec{}, 4096},
		{"4k", Spec{}, 4 << 10},
		{"4K", Spec{}, 4 << 10},
		{"4kB", Spec{}, 4 << 10},
		{"4KB", Spec{}, 4 << 10},
		{"64KiB", Spec{}, 64 << 10},
		{"2m", Spec{}, 2 << 20},
		{"1G", Spec{}, 1 << 30},
		{"2gib", Spec{}, 2 << 30},
		{"1T", Spec{}, 1 << 40},
		{"3P", Spec{}, 3 << 50},
		{"33554432B", Spec{}, 32 << 20},
		{" 512 ", Spec{}, 512},
		{"1", Spec{Bare: GiB}, 1 << 30},       // overlaybd-create
		{"4", Spec{Bare: KiB}, 4 << 10},       // overlaybd-zfile --bs
		{"2048", Spec{Bare: MiB}, 2048 << 20}, // qemu -m
		{"512B", Spec{Bare: GiB}, 512},        // a suffix overrides the bare unit
		{"1.5G", Spec{Fraction: true}, 3 << 29},
		{"0.5K", Spec{Fraction: true}, 512},
		{"1.0000000000000000000001K", Spec{Fraction: true}, 1024},
		{"8191P", Spec{}, 8191 << 50},
		{"8191.9999999999999999P", Spec{Fraction: true}, math.MaxInt64},
	} {
		got, err := Parse(c.in, c.sp)
		if err != nil || got != c.want {
			t.Errorf("Parse(%q, %+v) = %d, %v; want %d", c.in, c.sp, got, err, c.want)
		}
	}
}

// TestParseRejects: overflow, negatives, garbage and out-of-range sizes are errors of the
// right kind, never a wrapped or defaulted value. 18014398509481984K is 2^64 bytes (it wrapped
// to 0 in the old --bs parser), 18014398509481988K is 2^64+4K (it wrapped to 4K).
func TestParseRejects(t *testing.T) {
	bs := Spec{Bare: KiB, Min: 4 << 10, Max: 64 << 10}
	for _, c := range []struct {
		in   string
		sp   Spec
		kind error
	}{
		{"18014398509481984K", bs, ErrRange},
		{"18014398509481988K", bs, ErrRange},
		{"18014398509481984K", Spec{}, ErrRange},
		{"18014398509481988", Spec{Bare: KiB}, ErrRange},
		{"9223372036854775808", Spec{}, ErrRange},
		{"99999999999999999999999", Spec{}, ErrRange},
		{"8192P", Spec{}, ErrRange},
		{"8E", Spec{}, ErrSyntax},
		{"8589934592G", Spec{Fraction: true}, ErrRange},
		{"-1", Spec{}, ErrRange},
		{"-4K", bs, ErrRange},
		{"", Spec{}, ErrSyntax},
		{"K", Spec{}, ErrSyntax},
		{"iB", Spec{}, ErrSyntax},
		{"1X", Spec{}, ErrSyntax},
		{"2X", Spec{Bare: MiB, Fraction: true}, ErrSyntax},
		{"1.5G", Spec{}, ErrSyntax},
		{"1.G", Spec{Fraction: true}, ErrSyntax},
		{".5G", Spec{Fraction: true}, ErrSyntax},
		{"+4K", Spec{}, ErrSyntax},
		{"0x10", Spec{}, ErrSyntax},
		{"4 K", Spec{}, ErrSyntax},
		{"4KK", Spec{}, ErrSyntax},
		{"4Ki", Spec{}, ErrSyntax},
		{"1M", bs, ErrRange},
		{"3", bs, ErrRange},
		{"100M", Spec{Bare: MiB, Min: 256 << 20}, ErrRange},
		{"1000", Spec{Multiple: 512}, ErrRange},
	} {
		got, err := Parse(c.in, c.sp)
		if !errors.Is(err, c.kind) {
			t.Errorf("Parse(%q, %+v) = %d, %v; want %v", c.in, c.sp, got, err, c.kind)
			continue
		}
		t.Logf("%s: %v", c.in, err)
	}
}

func TestFormat(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 1000: "1000", 4096: "4K", 3 << 30: "3G", 1<<40 + 1<<20: "1048577M", 5 << 50: "5P"} {
		if got := Format(n); got != want {
			t.Errorf("Format(%d) = %q, want %q", n, got, want)
		}
	}
	if GiB.String() != "GiB" || Byte.String() != "bytes" {
		t.Errorf("unit names %s %s", GiB, Byte)
	}
}

// FuzzParse: Parse never panics; whatever it accepts lies in the caller's range, and prints
// back (Format) to a string that parses to the same size; a whole number of bytes written with
// a suffix parses to the product or to an overflow error, never to a wrapped value.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"4K", "1.5G", "18014398509481984K", "-1", "512", "64KiB", "7P", "0.001k"} {
		f.Add(s, uint8(0), int64(0), int64(0))
	}
	f.Add("4", uint8(1), int64(4096), int64(65536))
	units := []Unit{Byte, KiB, MiB, GiB, TiB, PiB}
	f.Fuzz(func(t *testing.T, s string, bare uint8, lo, hi int64) {
		sp := Spec{Bare: units[int(bare)%len(units)], Min: lo, Max: hi, Fraction: bare&0x80 != 0}
		v, err := Parse(s, sp)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrRange) {
				t.Fatalf("Parse(%q): %v wraps neither ErrSyntax nor ErrRange", s, err)
			}
		} else {
			max := hi
			if max == 0 {
				max = math.MaxInt64
			}
			if v < lo || v > max || v < 0 {
				t.Fatalf("Parse(%q, %+v) = %d outside the range", s, sp, v)
			}
			back, err := Parse(Format(v), Spec{})
			if err != nil || back != v {
				t.Fatalf("Format(%d) = %q parses to %d, %v", v, Format(v), back, err)
			}
		}
		// Products: n with each suffix is n*unit exactly, or an overflow.
		n, perr := strconv.ParseUint(s, 10, 64)
		if perr != nil {
			return
		}
		for _, u := range units[1:] {
			in := strconv.FormatUint(n, 10) + Format(int64(u))[1:]
			got, err := Parse(in, Spec{})
			hiw, prod := mul(n, uint64(u))
			fits := !hiw && prod <= math.MaxInt64
			switch {
			case fits && (err != nil || uint64(got) != prod):
				t.Fatalf("Parse(%q) = %d, %v; want %d", in, got, err, prod)
			case !fits && !errors.Is(err, ErrRange):
				t.Fatalf("Parse(%q) = %d, %v; want an overflow error", in, got, err)
			}
		}
	})
}

func mul(a, b uint64) (bool, uint64) {
	if a != 0 && b > math.MaxUint64/a {
		return true, 0
	}
	return false, a * b
}
