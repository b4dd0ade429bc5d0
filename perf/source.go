package perf

import (
	"fmt"
	"strconv"
)

// Source is what a run measures: exactly one field is set.
type Source struct {
	Null   int64  // a dadi null device of this many bytes
	File   string // a file or block device dadi serves, as the loop driver would
	Config string // an overlaybd image config dadi serves
	Device string // an existing block device, benchmarked as it is
}

func (s Source) count() int {
	n := 0
	if s.Null != 0 {
		n++
	}
	for _, p := range []string{s.File, s.Config, s.Device} {
		if p != "" {
			n++
		}
	}
	return n
}

func (s Source) String() string {
	switch {
	case s.Null != 0:
		return "null " + FormatSize(s.Null)
	case s.File != "":
		return "file " + s.File
	case s.Config != "":
		return "config " + s.Config
	default:
		return "device " + s.Device
	}
}

// serveTarget is the flag that makes `dadi serve` serve the source itself.
func (s Source) serveTarget() []string {
	switch {
	case s.Null != 0:
		return []string{"--null", strconv.FormatInt(s.Null, 10)}
	case s.File != "":
		return []string{"--file", s.File}
	case s.Config != "":
		return []string{"--config", s.Config}
	}
	return nil
}

// check refuses knobs the source cannot honour, so nothing runs on a matrix that would fail
// halfway through.
func (s Source) check(m *Matrix, allowWrite bool) error {
	if s.count() != 1 {
		return fmt.Errorf("give exactly one of --device, --config, --null, --file")
	}
	if s.Null < 0 || s.Null%512 != 0 {
		return fmt.Errorf("--null %d: size must be a positive multiple of 512", s.Null)
	}
	if s.Device != "" {
		for _, k := range []string{"queues", "depth", "pin", "codec", "zfile_bs"} {
			if m.Given(k) {
				return fmt.Errorf("knob %s applies to devices dadi serves; --device %s is benchmarked as it is", k, s.Device)
			}
		}
	}
	if s.Config != "" && (m.Given("codec") || m.Given("zfile_bs")) {
		return fmt.Errorf("codec and zfile_bs build images from a null or file source; --config %s is served as it is", s.Config)
	}
	if m.HasWrites() && !allowWrite && (s.Device != "" || (s.File != "" && hasRaw(m))) {
		return fmt.Errorf("the matrix writes (rw: %v) and would overwrite %s: give --allow-write if that is meant", m.RW, s)
	}
	if m.HasWrites() && s.Config != "" && !allowWrite {
		return fmt.Errorf("the matrix writes (rw: %v) into the upper layer of %s: give --allow-write if that is meant", m.RW, s.Config)
	}
	return nil
}

func hasRaw(m *Matrix) bool {
	for _, c := range m.Codec {
		if c == CodecRaw {
			return true
		}
	}
	return false
}
