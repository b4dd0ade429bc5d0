package units

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Unit is a binary multiple of a byte.
type Unit int64

const (
	Byte Unit = 1
	KiB  Unit = 1 << 10
	MiB  Unit = 1 << 20
	GiB  Unit = 1 << 30
	TiB  Unit = 1 << 40
	PiB  Unit = 1 << 50
)

func (u Unit) String() string {
	switch u {
	case Byte:
		return "bytes"
	case KiB, MiB, GiB, TiB, PiB:
		return Format(int64(u))[1:] + "iB"
	}
	return strconv.FormatInt(int64(u), 10) + "-byte units"
}

// The kinds of bad size; every error of Parse is an *Error that unwraps to one of them.
var (
	ErrSyntax = errors.New("not a size")
	ErrRange  = errors.New("size out of range")
)

// Error is a size Parse refused: the input, the kind (ErrSyntax or ErrRange) and what the
// caller accepts.
type Error struct {
	Input string
	Kind  error
	Want  string
}

func (e *Error) Error() string { return fmt.Sprintf("%q: %s", e.Input, e.Want) }
func (e *Error) Unwrap() error { return e.Kind }

// Spec is what a caller accepts.
type Spec struct {
	Bare     Unit  // the unit of a number without a suffix; Byte when 0
	Min, Max int64 // inclusive range in bytes; Max 0 means math.MaxInt64
	Multiple int64 // the size must be a multiple of this many bytes (0: any)
	// Fraction accepts a decimal fraction such as 1.5G, as qemu's -m does; the result is
	// rounded down to a whole byte.
	Fraction bool
}

// suffixes maps a lower-case suffix letter to its unit.
var suffixes = map[byte]Unit{'k': KiB, 'm': MiB, 'g': GiB, 't': TiB, 'p': PiB}

// Parse reads s as sp asks.
func Parse(s string, sp Spec) (int64, error) {
	bare := sp.Bare
	if bare == 0 {
		bare = Byte
	}
	hi := sp.Max
	if hi == 0 {
		hi = math.MaxInt64
	}
	t := strings.TrimSpace(s)
	syntax := func() (int64, error) {
		form := "a whole number"
		if sp.Fraction {
			form = "a number"
		}
		return 0, &Error{s, ErrSyntax, fmt.Sprintf("want a size: %s with an optional K, M, G, T or P suffix (a bare number counts %s)", form, bare)}
	}
	neg := strings.HasPrefix(t, "-")
	if neg {
		t = t[1:]
	}
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	intDigits := t[:i]
	var fracDigits string
	if sp.Fraction && i < len(t) && t[i] == '.' {
		j := i + 1
		for j < len(t) && t[j] >= '0' && t[j] <= '9' {
			j++
		}
		fracDigits, i = t[i+1:j], j
		if fracDigits == "" {
			return syntax()
		}
	}
	if intDigits == "" {
		return syntax()
	}
	unit, ok := parseSuffix(t[i:], bare)
	if !ok {
		return syntax()
	}
	if neg {
		return 0, &Error{s, ErrRange, "want a size, not a negative number"}
	}
	overflow := func() (int64, error) {
		return 0, &Error{s, ErrRange, "the size overflows 2^63-1 bytes"}
	}
	n, err := strconv.ParseUint(intDigits, 10, 64)
	if err != nil {
		return overflow()
	}
	if n > uint64(math.MaxInt64)/uint64(unit) {
		return overflow()
	}
	v := n * uint64(unit)
	if fracDigits != "" {
		// fraction * unit, exactly: the quotient is below unit, so Div64 cannot overflow.
		if len(fracDigits) > 18 {
			fracDigits = fracDigits[:18]
		}
		f, _ := strconv.ParseUint(fracDigits, 10, 64)
		hiw, low := bits.Mul64(f, uint64(unit))
		q, _ := bits.Div64(hiw, low, pow10(len(fracDigits)))
		if v+q > math.MaxInt64 {
			return overflow()
		}
		v += q
	}
	x := int64(v)
	if x < sp.Min || x > hi || (sp.Multiple > 1 && x%sp.Multiple != 0) {
		return 0, &Error{s, ErrRange, "want " + describe(sp.Min, hi, sp.Multiple)}
	}
	return x, nil
}

// parseSuffix reads "", "B", or K, M, G, T, P with an optional "B" or "iB", in any case.
func parseSuffix(s string, bare Unit) (Unit, bool) {
	l := strings.ToLower(s)
	switch l {
	case "":
		return bare, true
	case "b":
		return Byte, true
	}
	u, ok := suffixes[l[0]]
	if !ok {
		return 0, false
	}
	switch l[1:] {
	case "", "b", "ib":
		return u, true
	}
	return 0, false
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

// describe is a range for an error message: "4K to 64K", "at least 256M, a multiple of 512".
func describe(lo, hi, multiple int64) string {
	var r string
	switch {
	case hi == math.MaxInt64 && lo <= 0 && multiple > 1:
		return "a multiple of " + Format(multiple)
	case hi == math.MaxInt64 && lo <= 0:
		return "a size that fits in 63 bits"
	case hi == math.MaxInt64:
		r = "at least " + Format(lo)
	default:
		r = Format(lo) + " to " + Format(hi)
	}
	if multiple > 1 {
		r += ", a multiple of " + Format(multiple)
	}
	return r
}

// Format writes n with the largest binary suffix that divides it: 4K, 1M, 512, 3G.
func Format(n int64) string {
	for _, u := range []struct {
		suffix string
		unit   Unit
	}{{"P", PiB}, {"T", TiB}, {"G", GiB}, {"M", MiB}, {"K", KiB}} {
		if n >= int64(u.unit) && n%int64(u.unit) == 0 {
			return strconv.FormatInt(n/int64(u.unit), 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
