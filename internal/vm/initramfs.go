package vm

import (
	"bufio"
	"debug/elf"
	"fmt"
	"os"
	"path"

	"github.com/dadi-dev/dadi/internal/vm/cpio"
	"github.com/dadi-dev/dadi/internal/vm/job"
)

// Directories the guest init mounts on or reads from, created in the initramfs because the
// kernel unpacks nothing else.
var initramfsDirs = []string{"/dev", "/proc", "/sys", "/host", "/vmrun", job.ModuleDir}

// writeInitramfs writes the guest's initramfs to dst: exe as /init, the kernel's guest
// modules, and the job. The kernel reads an uncompressed archive directly, and writing a few
// megabytes per run is cheaper than compressing them.
func writeInitramfs(dst, exe string, k *Kernel, j *job.Job) (err error) {
	if err := checkStatic(exe); err != nil {
		return err
	}
	jobBytes, err := j.Encode()
	if err != nil {
		return err
	}
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("initramfs: %w", cerr)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	c := cpio.NewWriter(bw)
	for _, d := range initramfsDirs {
		if err := c.Dir(d, 0o755); err != nil {
			return err
		}
	}
	// The kernel opens /dev/console as init's stdin, stdout and stderr before devtmpfs is
	// mounted, so the node must be in the archive.
	if err := c.CharDev("/dev/console", 0o600, 5, 1); err != nil {
		return err
	}
	if err := addFile(c, "/init", exe, 0o755); err != nil {
		return err
	}
	for _, m := range k.Modules {
		if err := addFile(c, path.Join(job.ModuleDir, m.Name+".ko"), k.ModulePath(m.Name), 0o644); err != nil {
			return err
		}
	}
	if err := c.Bytes(job.FilePath, 0o644, jobBytes); err != nil {
		return err
	}
	if err := c.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	return nil
}

// addFile copies the host file src into the archive as name.
func addFile(c *cpio.Writer, name, src string, perm os.FileMode) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	return c.File(name, perm, f, st.Size())
}

// checkStatic refuses an executable that needs a dynamic loader: as /init it runs before
// any library is reachable.
func checkStatic(exe string) error {
	f, err := elf.Open(exe)
	if err != nil {
		return fmt.Errorf("reading own executable %s: %w", exe, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked and cannot be the guest's init; rebuild it with CGO_ENABLED=0", exe)
		}
	}
	return nil
}
