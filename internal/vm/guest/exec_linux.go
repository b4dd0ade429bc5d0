package guest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/dadi-dev/dadi/internal/vm/job"
	"golang.org/x/sys/unix"
)

// orphanGrace is how long output may keep flowing after the command exits, from background
// processes it left holding its stdout or stderr.
const orphanGrace = 2 * time.Second

// runCommand runs the job's command with its output relayed to the host's ports, reaps
// every process that ends meanwhile (init inherits orphans), and reports how it ended.
func (g *guest) runCommand() job.Report {
	devnull, err := os.Open("/dev/null")
	if err != nil {
		return job.Report{Status: job.StatusFailed, Error: err.Error()}
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return job.Report{Status: job.StatusFailed, Error: err.Error()}
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return job.Report{Status: job.StatusFailed, Error: err.Error()}
	}
	p, err := os.StartProcess(g.job.Path, g.job.Argv, &os.ProcAttr{
		Dir:   g.job.Dir,
		Env:   g.job.Env,
		Files: []*os.File{devnull, outW, errW},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	devnull.Close()
	outW.Close() // Only the command holds the write ends now, so the relays see its EOF.
	errW.Close()
	stdout := startRelay(g.ports[job.PortStdout], outR)
	stderr := startRelay(g.ports[job.PortStderr], errR)
	if err != nil {
		status := job.StatusCannotExec
		if errors.Is(err, fs.ErrNotExist) {
			status = job.StatusNotFound
		}
		return job.Report{Status: status, Error: fmt.Sprintf("running %s: %v", g.job.Path, err)}
	}
	status := reap(p.Pid)
	g.logf("command exited with status %d", status)
	timeout := time.After(orphanGrace)
	for _, r := range []*relay{stdout, stderr} {
		select {
		case <-r.done:
		case <-timeout:
		}
	}
	return job.Report{Status: status, Stdout: stdout.stop(), Stderr: stderr.stop()}
}

// reap waits for every child until pid ends and returns pid's exit status, 128+signal if a
// signal killed it, as a shell reports it.
func reap(pid int) int {
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return job.StatusFailed // ECHILD: pid is not ours; cannot happen
		}
		if got != pid {
			continue
		}
		if ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ws.ExitStatus()
	}
}

// relay copies a pipe to a port and counts what it delivered. Once stopped it writes no
// more, so the count it returned stays true.
type relay struct {
	mu      sync.Mutex
	n       int64
	stopped bool
	done    chan struct{}
}

func startRelay(dst, src *os.File) *relay {
	r := &relay{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		defer src.Close()
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				r.mu.Lock()
				if !r.stopped {
					w, _ := dst.Write(buf[:n]) // A lost port shows up as a short count.
					r.n += int64(w)
				}
				r.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	return r
}

// stop ends relaying and returns the bytes delivered.
func (r *relay) stop() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	return r.n
}
