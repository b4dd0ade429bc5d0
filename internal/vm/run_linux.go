package vm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/dadi-dev/dadi/internal/vm/job"
)

// Run boots a fresh guest, runs argv in it as the host would, and returns the command's exit
// status, or one of the Status* codes with an error saying what went wrong.
func Run(argv []string, o Options) (int, error) {
	j, err := job.New(argv, exec.LookPath)
	if err != nil {
		switch {
		case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
			return StatusNotFound, err
		case errors.Is(err, fs.ErrPermission):
			return StatusCannotExec, err
		}
		return StatusFailed, err
	}
	k, err := Prepare(o.Stderr)
	if err != nil {
		return StatusFailed, fmt.Errorf("preparing: %w", err)
	}
	if o.Verbose && len(k.Absent) > 0 {
		fmt.Fprintf(o.Stderr, "vmrun: kernel %s has no module file for %v; assuming built in\n", k.Version, k.Absent)
	}
	// From here on there are processes and files to clean up: a signal must not kill vmrun
	// before it has. One that arrives before the VM starts waits in the channel.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	j.Modules, j.Verbose = k.Modules, o.Verbose
	exe, err := os.Executable()
	if err != nil {
		return StatusFailed, fmt.Errorf("finding own executable: %w", err)
	}

	// One private directory per run holds the initramfs, sockets and logs, so concurrent
	// runs never meet, and one RemoveAll cleans up.
	dir, err := os.MkdirTemp("", "vmrun-")
	if err != nil {
		return StatusFailed, fmt.Errorf("run directory: %w", err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "fs.sock")
	if len(sock) >= 108 { // sun_path
		return StatusFailed, fmt.Errorf("socket path %s is too long; set TMPDIR to a shorter directory", sock)
	}
	initrd := filepath.Join(dir, "initrd.cpio")
	if err := writeInitramfs(initrd, exe, k, j); err != nil {
		return StatusFailed, err
	}
	vfs, err := startVirtiofsd(sock, filepath.Join(dir, "virtiofsd.log"))
	if err != nil {
		return StatusFailed, err
	}
	defer vfs.stop(2 * time.Second)
	b := &boot{
		opts: o,
		dir:  dir,
		sigs: sigs,
		m: machine{
			CPUs: o.CPUs, MemMiB: o.MemMiB, Accel: o.Accel, Verbose: o.Verbose,
			Kernel: k.Image(), Initrd: initrd, FSSock: sock, Append: os.Getenv("DADI_VM_APPEND"),
		},
	}
	return b.run()
}
