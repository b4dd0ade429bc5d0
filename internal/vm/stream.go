package vm

import (
	"bufio"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dadi-dev/dadi/internal/vm/job"
)

// outStream copies one of the guest's output ports to a host writer as it arrives, counting
// bytes, so the host can tell when it has everything the guest says it sent.
type outStream struct {
	n   atomic.Int64
	eof chan struct{}
}

func copyStream(dst io.Writer, src io.Reader) *outStream {
	s := &outStream{eof: make(chan struct{})}
	go func() {
		defer close(s.eof)
		buf := make([]byte, 64<<10)
		var werr error
		for {
			n, err := src.Read(buf)
			if n > 0 {
				// After a failed write keep reading, or the guest would block on a full port.
				if werr == nil {
					_, werr = dst.Write(buf[:n])
				}
				s.n.Add(int64(n))
			}
			if err != nil {
				return
			}
		}
	}()
	return s
}

// waitFor waits until want bytes have arrived, the port closed, or timeout passed, and says
// whether all of them arrived.
func (s *outStream) waitFor(want int64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for s.n.Load() < want {
		select {
		case <-s.eof:
			return s.n.Load() >= want
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// readReports delivers each line the guest writes on the control port, until it closes.
// Lines that do not parse are dropped: the guest only writes what job.EncodeReport makes.
func readReports(ctl io.Reader) <-chan job.Report {
	ch := make(chan job.Report, 4)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(ctl)
		for sc.Scan() {
			if r, err := job.DecodeReport(sc.Bytes()); err == nil {
				ch <- r
			}
		}
	}()
	return ch
}

// consoleLog records the guest's serial console in a file, and shows it live when asked.
type consoleLog struct {
	path string
	done chan struct{}
}

func startConsoleLog(src io.Reader, path string, live io.Writer) (*consoleLog, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	c := &consoleLog{path: path, done: make(chan struct{})}
	var dst io.Writer = f
	if live != nil {
		dst = io.MultiWriter(f, live)
	}
	go func() {
		defer close(c.done)
		defer f.Close()
		io.Copy(dst, src) //nolint:errcheck // the console ends when qemu does
	}()
	return c, nil
}

// consoleMarkers start the lines that explain a failed guest; the shown tail of the console
// reaches back to the first of them, so a long stack trace cannot push out its headline.
var consoleMarkers = []string{"Kernel panic", "BUG:", "Oops:", "vmrun-init:"}

// tail returns the end of the console, for when the guest failed.
func (c *consoleLog) tail(lines int) string {
	select {
	case <-c.done:
	case <-time.After(time.Second): // Show what there is.
	}
	b, _ := os.ReadFile(c.path)
	all := strings.Split(strings.TrimRight(strings.ReplaceAll(string(b), "\r", ""), "\n"), "\n")
	start := max(0, len(all)-lines)
	for i := max(0, len(all)-3*lines); i < start; i++ {
		if slices.ContainsFunc(consoleMarkers, func(m string) bool { return strings.Contains(all[i], m) }) {
			start = i
			break
		}
	}
	return strings.Join(all[start:], "\n")
}

// tail returns the last n lines of b: the end of a tool's log says why it failed.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
