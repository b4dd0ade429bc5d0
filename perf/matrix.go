package perf

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Pattern is an fio access pattern.
type Pattern string

// The patterns a matrix may name. Mixed is fio's randrw with 70% reads.
const (
	RandRead  Pattern = "randread"
	RandWrite Pattern = "randwrite"
	Read      Pattern = "read"
	Write     Pattern = "write"
	Mixed     Pattern = "mixed"
)

// Writes says whether the pattern writes to the device.
func (p Pattern) Writes() bool { return p != RandRead && p != Read }

// Codec is how a benchmarked image stores its data; CodecRaw serves the source itself.
type Codec string

// The codecs a matrix may name.
const (
	CodecRaw  Codec = "raw"  // the null target, the file, the device or the config as given
	CodecNone Codec = "none" // an uncompressed LSMT layer built from the source's bytes
	CodecLZ4  Codec = "lz4"  // a ZFile layer, LZ4 blocks
	CodecZstd Codec = "zstd" // a ZFile layer, zstd blocks
)

// ZFile says whether the codec makes a ZFile, the only kind zfile_bs applies to.
func (c Codec) ZFile() bool { return c == CodecLZ4 || c == CodecZstd }

// Image says whether the codec needs an image built before it can be served.
func (c Codec) Image() bool { return c != CodecRaw }

// Pin values other than a CPU list.
const (
	PinOn  = "on"  // the kernel's queue affinity, dadi serve's default
	PinOff = "off" // no pinning at all
)

// Matrix is a parsed matrix file: the values of each knob and the run's settings.
type Matrix struct {
	Name      string // the file's base name, for the report
	Runtime   time.Duration
	Ramp      time.Duration
	ImageSize int64
	Reference bool

	RW      []Pattern
	BS      []int64
	IODepth []int
	NumJobs []int
	Queues  []int
	Depth   []int
	Pin     []string
	Codec   []Codec
	ZFileBS []int64

	set map[string]bool // knobs the file gave, as opposed to defaults
}

// Limits that keep a typo from queueing a week of fio runs.
const (
	maxValues  = 64
	maxEntries = 10000
)

// Given says whether the matrix file set knob, rather than leaving it at its default.
func (m *Matrix) Given(knob string) bool { return m.set[knob] }

// LoadMatrix reads and checks a matrix file.
func LoadMatrix(path string) (*Matrix, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(filepath.Base(path), ".matrix")
	return ParseMatrix(b, path, name)
}

// ParseMatrix reads a matrix; file names it in errors, name labels the report. Every error
// says where and what, so nothing runs on a matrix the runner would trip over halfway.
func ParseMatrix(b []byte, file, name string) (*Matrix, error) {
	m := defaultMatrix()
	m.Name = name
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<10)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if err := m.parseLine(text); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return m, nil
}

func (m *Matrix) parseLine(text string) error {
	key, rest, ok := strings.Cut(text, ":")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return fmt.Errorf("%q: want \"knob: value value ...\"", text)
	}
	k := findKnob(key)
	if k == nil {
		return fmt.Errorf("unknown knob %q (knobs: %s)", key, strings.Join(knobNames(), ", "))
	}
	if m.set[k.name] {
		return fmt.Errorf("%s given twice", k.name)
	}
	m.set[k.name] = true
	vals := strings.Fields(rest)
	switch {
	case len(vals) == 0:
		return fmt.Errorf("%s: no value", k.name)
	case k.setting && len(vals) > 1:
		return fmt.Errorf("%s is a setting: one value, not %d", k.name, len(vals))
	case len(vals) > maxValues:
		return fmt.Errorf("%s: %d values, at most %d", k.name, len(vals), maxValues)
	}
	for i, v := range vals {
		if slices.Contains(vals[:i], v) {
			return fmt.Errorf("%s: %s listed twice", k.name, v)
		}
	}
	if err := k.parse(m, vals); err != nil {
		return fmt.Errorf("%s: %w", k.name, err)
	}
	return nil
}

// check looks at the matrix as a whole.
func (m *Matrix) check() error {
	if m.Given("zfile_bs") && !slices.ContainsFunc(m.Codec, Codec.ZFile) {
		return fmt.Errorf("zfile_bs is given but no codec is lz4 or zstd, the only ones it applies to")
	}
	if m.Count() > maxEntries {
		return fmt.Errorf("more than %d entries: split the matrix", maxEntries)
	}
	return nil
}

// HasWrites says whether any entry writes.
func (m *Matrix) HasWrites() bool { return slices.ContainsFunc(m.RW, Pattern.Writes) }
