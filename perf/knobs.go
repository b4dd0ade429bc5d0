package perf

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dadi-dev/dadi/internal/units"
)

// knob is one key a matrix file may set.
type knob struct {
	name    string
	setting bool // takes exactly one value
	def     string
	help    string
	parse   func(m *Matrix, vals []string) error
}

// knobs lists the keys of a matrix file with their defaults, in the order the docs give them.
var knobs = []knob{
	{name: "rw", def: "randread", help: "fio pattern: randread randwrite read write mixed (70% reads)", parse: func(m *Matrix, v []string) (err error) {
		m.RW, err = parseEach(v, parsePattern)
		return err
	}},
	{name: "bs", def: "4k", help: "fio block size, 512 to 16M, a multiple of 512", parse: func(m *Matrix, v []string) (err error) {
		m.BS, err = parseEach(v, func(s string) (int64, error) { return parseSizeIn(s, 512, 16<<20, 512) })
		return err
	}},
	{name: "iodepth", def: "32", help: "fio iodepth, 1 to 4096", parse: func(m *Matrix, v []string) (err error) {
		m.IODepth, err = parseEach(v, intIn(1, 4096))
		return err
	}},
	{name: "numjobs", def: "1", help: "fio numjobs, 1 to 256", parse: func(m *Matrix, v []string) (err error) {
		m.NumJobs, err = parseEach(v, intIn(1, 256))
		return err
	}},
	{name: "queues", def: "1", help: "dadi serve --queues, 1 to the CPU count", parse: func(m *Matrix, v []string) (err error) {
		m.Queues, err = parseEach(v, intIn(1, 4096))
		return err
	}},
	{name: "depth", def: "128", help: "dadi serve --depth, 1 to 4096", parse: func(m *Matrix, v []string) (err error) {
		m.Depth, err = parseEach(v, intIn(1, 4096))
		return err
	}},
	{name: "pin", def: PinOn, help: "queue threads: on (kernel's affinity), off, or a CPU list such as 0-3,6", parse: func(m *Matrix, v []string) (err error) {
		m.Pin, err = parseEach(v, parsePin)
		return err
	}},
	{name: "codec", def: "raw", help: "raw (the source as it is), or an image built from it: none, lz4, zstd", parse: func(m *Matrix, v []string) (err error) {
		m.Codec, err = parseEach(v, parseCodec)
		return err
	}},
	{name: "zfile_bs", def: "4k", help: "ZFile block size for lz4 and zstd images: 4k 8k 16k 32k 64k", parse: func(m *Matrix, v []string) (err error) {
		m.ZFileBS, err = parseEach(v, parseZFileBS)
		return err
	}},
	{name: "runtime", setting: true, def: "5s", help: "fio's measured time per entry, at least 1s", parse: func(m *Matrix, v []string) (err error) {
		m.Runtime, err = parseDuration(v[0], time.Second)
		return err
	}},
	{name: "ramp", setting: true, def: "1s", help: "unmeasured warm-up before each entry", parse: func(m *Matrix, v []string) (err error) {
		m.Ramp, err = parseDuration(v[0], 0)
		return err
	}},
	{name: "image_size", setting: true, def: "256M", help: "bytes of data images are built from when the source has none (--null)", parse: func(m *Matrix, v []string) (err error) {
		m.ImageSize, err = parseSizeIn(v[0], 1<<20, 1<<40, 1<<20)
		return err
	}},
	{name: "reference", setting: true, def: "on", help: "on: run every job on a kernel reference device too; off: don't", parse: func(m *Matrix, v []string) error {
		switch v[0] {
		case "on":
			m.Reference = true
		case "off":
			m.Reference = false
		default:
			return fmt.Errorf("%q: want on or off", v[0])
		}
		return nil
	}},
}

// KnobHelp describes every key of a matrix file, one per line, for --help.
func KnobHelp() string {
	var b strings.Builder
	for _, k := range knobs {
		kind := "knob"
		if k.setting {
			kind = "setting"
		}
		fmt.Fprintf(&b, "  %-10s %-7s default %-8s %s\n", k.name, kind, k.def, k.help)
	}
	return b.String()
}

func findKnob(name string) *knob {
	for i := range knobs {
		if knobs[i].name == name {
			return &knobs[i]
		}
	}
	return nil
}

func knobNames() []string {
	names := make([]string, len(knobs))
	for i, k := range knobs {
		names[i] = k.name
	}
	return names
}

// defaultMatrix is a matrix with every knob at its default: one entry.
func defaultMatrix() *Matrix {
	m := &Matrix{set: map[string]bool{}}
	for _, k := range knobs {
		if err := k.parse(m, []string{k.def}); err != nil {
			panic("perf: default of " + k.name + ": " + err.Error())
		}
	}
	return m
}

func parseEach[T any](vals []string, parse func(string) (T, error)) ([]T, error) {
	out := make([]T, 0, len(vals))
	for _, v := range vals {
		x, err := parse(v)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func parsePattern(s string) (Pattern, error) {
	switch p := Pattern(s); p {
	case RandRead, RandWrite, Read, Write, Mixed:
		return p, nil
	}
	return "", fmt.Errorf("%q: want randread, randwrite, read, write or mixed", s)
}

func parseCodec(s string) (Codec, error) {
	switch c := Codec(s); c {
	case CodecRaw, CodecNone, CodecLZ4, CodecZstd:
		return c, nil
	}
	return "", fmt.Errorf("%q: want raw, none, lz4 or zstd", s)
}

func parseZFileBS(s string) (int64, error) {
	n, err := parseSizeIn(s, 4<<10, 64<<10, 512)
	if err == nil && n&(n-1) != 0 {
		err = fmt.Errorf("%q: want a power of two", s)
	}
	return n, err
}

// parsePin accepts on, off, or a CPU list ("0-3,6"), checked for form only: whether the CPUs
// exist is for the machine the run happens on to say.
func parsePin(s string) (string, error) {
	if s == PinOn || s == PinOff {
		return s, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		b, err2 := a, error(nil)
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 0 || b < a || b > 4095 {
			return "", fmt.Errorf("%q: want on, off or a CPU list such as 0-3,6", s)
		}
	}
	return s, nil
}

func intIn(lo, hi int) func(string) (int, error) {
	return func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("%q: want a whole number from %d to %d", s, lo, hi)
		}
		return n, nil
	}
}

func parseDuration(s string, min time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < min || d > 24*time.Hour || d%time.Second != 0 {
		return 0, fmt.Errorf("%q: want whole seconds such as 5s or 2m, at least %s", s, min)
	}
	return d, nil
}

// parseSizeIn reads a size such as 4k, 1M or 512 (a bare number counts bytes, as fio's do)
// within [lo, hi] and a multiple of unit.
func parseSizeIn(s string, lo, hi, unit int64) (int64, error) {
	return units.Parse(s, units.Spec{Bare: units.Byte, Min: lo, Max: hi, Multiple: unit})
}

// FormatSize writes n with the largest binary suffix that divides it: 4k, 1M, 512. The k is
// lower case, as fio spells its sizes, for the report's labels and file names.
func FormatSize(n int64) string {
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"T", 40}, {"G", 30}, {"M", 20}, {"k", 10}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
