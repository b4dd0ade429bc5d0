package perf

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
)

// Images builds the images that the codec knob asks for. cmd/dadi provides it through the
// layer engine, which perf does not import: perf only drives fio and dadi serve.
type Images interface {
	// Layer writes to layer a read-only layer holding the bytes of the raw file base, stored
	// as im says.
	Layer(base, layer string, im Image) error
	// Config makes a fresh writable upper layer in dir over layer and the config.v1.json that
	// stacks them, and returns the config's path.
	Config(layer, dir string) (string, error)
	// Flatten writes the bytes of the image config describes to the raw file out.
	Flatten(config, out string) error
}

// Options say what Run measures and where it writes.
type Options struct {
	Matrix     *Matrix
	Source     Source
	Out        string    // the directory that receives the report
	Work       string    // where to make the scratch directory for images and data; "": $TMPDIR
	Dadi       string    // the dadi binary that serves devices
	Images     Images    // needed when the matrix has image codecs
	Progress   io.Writer // where progress lines go; nil: nowhere
	AllowWrite bool      // let write patterns overwrite a --file, --device or --config upper
	Command    string    // the command line, for the report
}

// Check finds every problem that can be found before anything runs: a run that stops at
// entry 40 of 60 on a knob this machine cannot honour wastes the first 39.
func Check(o *Options) error {
	m := o.Matrix
	if m == nil {
		return errors.New("no matrix")
	}
	if o.Out == "" {
		return errors.New("no output directory (-o DIR)")
	}
	if err := o.Source.check(m, o.AllowWrite); err != nil {
		return err
	}
	for _, p := range []string{o.Source.File, o.Source.Config, o.Source.Device} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return err
		}
	}
	if o.Source.Device == "" {
		if _, err := os.Stat(o.Dadi); err != nil {
			return fmt.Errorf("dadi binary: %w", err)
		}
	}
	if slices.ContainsFunc(m.Codec, Codec.Image) && o.Images == nil {
		return errors.New("codec: this build cannot make images")
	}
	if o.Source.Device == "" {
		if err := checkCPUs(m, o.Dadi); err != nil {
			return err
		}
	}
	if _, err := exec.LookPath("fio"); err != nil {
		return errors.New("fio is not installed (apt-get install fio)")
	}
	return nil
}

// checkCPUs holds queues and pin lists to this machine, where dadi serve would refuse them.
func checkCPUs(m *Matrix, dadi string) error {
	n := runtime.NumCPU()
	for _, q := range m.Queues {
		if q > n {
			return fmt.Errorf("queues: %d, but this machine has %d CPUs (dadi serve allows at most one queue per CPU)", q, n)
		}
	}
	for _, p := range m.Pin {
		switch p {
		case PinOn:
		case PinOff:
			if !serveCanUnpin(dadi) {
				return errors.New("pin: off needs `dadi serve --cpus none`, which this dadi does not have; use on or a CPU list")
			}
		default:
			for _, part := range strings.Split(p, ",") {
				_, hi, _ := strings.Cut(part, "-")
				if hi == "" {
					hi = part
				}
				var c int
				fmt.Sscan(hi, &c)
				if c >= n {
					return fmt.Errorf("pin: %s names CPU %d, but this machine has CPUs 0-%d", p, c, n-1)
				}
			}
		}
	}
	return nil
}

// serveCanUnpin asks dadi serve's help whether --cpus takes "none".
func serveCanUnpin(dadi string) bool {
	out, _ := exec.Command(dadi, "serve", "--help").CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "--cpus") && strings.Contains(line, "none") {
			return true
		}
	}
	return false
}
