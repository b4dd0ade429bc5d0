package perf

import (
	"fmt"
	"strings"
)

// Daemon is how one `dadi serve` is started: the knobs that need a new device to change.
type Daemon struct {
	Queues  int
	Depth   int
	Pin     string
	Codec   Codec
	ZFileBS int64 // 0 unless Codec.ZFile()
}

// Job is one fio run against a device.
type Job struct {
	RW      Pattern
	BS      int64
	IODepth int
	NumJobs int
}

// Entry is one row of the matrix: a job on a device started a certain way.
type Entry struct {
	ID     int // from 1, in run order
	Daemon Daemon
	Job    Job
}

// Image is the image a daemon serves, if it serves one it had built: codec and block size.
type Image struct {
	Codec   Codec
	ZFileBS int64
}

// Image is the image this daemon serves; its zero value (Codec "") for a raw source.
func (d Daemon) Image() Image {
	if !d.Codec.Image() {
		return Image{}
	}
	return Image{d.Codec, d.ZFileBS}
}

func (im Image) String() string {
	if im.Codec.ZFile() {
		return fmt.Sprintf("%s/%s", im.Codec, FormatSize(im.ZFileBS))
	}
	return string(im.Codec)
}

// String names the job the way fio's options read: "randread 4k qd32 j1".
func (j Job) String() string {
	return fmt.Sprintf("%s %s qd%d j%d", j.RW, FormatSize(j.BS), j.IODepth, j.NumJobs)
}

// daemons lists each distinct way of starting dadi, in run order.
func (m *Matrix) daemons() []Daemon {
	var out []Daemon
	for _, c := range m.Codec {
		bss := []int64{0}
		if c.ZFile() {
			bss = m.ZFileBS
		}
		for _, bs := range bss {
			for _, q := range m.Queues {
				for _, d := range m.Depth {
					for _, p := range m.Pin {
						out = append(out, Daemon{Queues: q, Depth: d, Pin: p, Codec: c, ZFileBS: bs})
					}
				}
			}
		}
	}
	return out
}

// jobs lists the fio jobs each daemon runs, in run order.
func (m *Matrix) jobs() []Job {
	var out []Job
	for _, rw := range m.RW {
		for _, bs := range m.BS {
			for _, nj := range m.NumJobs {
				for _, qd := range m.IODepth {
					out = append(out, Job{RW: rw, BS: bs, IODepth: qd, NumJobs: nj})
				}
			}
		}
	}
	return out
}

// Count is the number of entries, computed without listing them, so a huge matrix is refused
// before it takes the memory to list.
func (m *Matrix) Count() int {
	images := 0
	for _, c := range m.Codec {
		if c.ZFile() {
			images += len(m.ZFileBS)
		} else {
			images++
		}
	}
	n := 1
	for _, k := range []int{images, len(m.Queues), len(m.Depth), len(m.Pin), len(m.RW), len(m.BS), len(m.NumJobs), len(m.IODepth)} {
		n *= k
		if n > maxEntries {
			return maxEntries + 1
		}
	}
	return n
}

// Entries lists every entry: all jobs of one daemon together, so each daemon starts once.
func (m *Matrix) Entries() []Entry {
	var out []Entry
	for _, d := range m.daemons() {
		for _, j := range m.jobs() {
			out = append(out, Entry{ID: len(out) + 1, Daemon: d, Job: j})
		}
	}
	return out
}

// Varying lists the daemon knobs with more than one value: the ones a label must name.
func (m *Matrix) Varying() map[string]bool {
	v := map[string]bool{}
	v["queues"] = len(m.Queues) > 1
	v["depth"] = len(m.Depth) > 1
	v["pin"] = len(m.Pin) > 1
	v["codec"] = len(m.daemonImages()) > 1
	return v
}

func (m *Matrix) daemonImages() map[Image]bool {
	im := map[Image]bool{}
	for _, d := range m.daemons() {
		im[d.Image()] = true
	}
	return im
}

// Label names a daemon by the knobs that vary in the matrix ("q2 d128 lz4/16k"), or by all of
// them when vary is nil; the zero Daemon, of a --device run, is "device".
func (d Daemon) Label(vary map[string]bool) string {
	if d == (Daemon{}) {
		return "device" // a --device run: no daemon
	}
	var parts []string
	if vary == nil || vary["queues"] {
		parts = append(parts, fmt.Sprintf("q%d", d.Queues))
	}
	if vary == nil || vary["depth"] {
		parts = append(parts, fmt.Sprintf("d%d", d.Depth))
	}
	if vary == nil || vary["pin"] {
		parts = append(parts, "pin:"+d.Pin)
	}
	if vary == nil || vary["codec"] {
		parts = append(parts, d.ImageLabel())
	}
	if len(parts) == 0 {
		return "dadi"
	}
	return strings.Join(parts, " ")
}

// ImageLabel is "raw" or the image's codec and block size.
func (d Daemon) ImageLabel() string {
	if !d.Codec.Image() {
		return string(CodecRaw)
	}
	return d.Image().String()
}
