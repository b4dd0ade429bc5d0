package guest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// hostMount is where the guest mounts the host's root before chrooting into it.
const hostMount = "/host"

// mount is one file system for the guest to mount.
type mount struct {
	fstype, target string
	flags          uintptr
	data           string
	// optional mounts may fail (a kernel without the file system); the guest says so in
	// verbose mode and carries on.
	optional bool
	// mkdir creates the mount point first: it lives in a file system just mounted.
	mkdir bool
}

func (m mount) do(root string) error {
	target := filepath.Join(root, m.target)
	if m.mkdir {
		if err := os.MkdirAll(target, 0o755); err != nil {
			return fmt.Errorf("mount %s: %w", target, err)
		}
	}
	if err := unix.Mount(m.fstype, target, m.fstype, m.flags, m.data); err != nil {
		return fmt.Errorf("mount %s on %s: %w", m.fstype, target, err)
	}
	return nil
}

const (
	nosuidNodev = unix.MS_NOSUID | unix.MS_NODEV
	kernelFS    = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
)

// earlyMounts are what the init itself needs in the initramfs: /proc and /sys to find its
// ports, /dev to open them.
var earlyMounts = []mount{
	{fstype: "proc", target: "/proc", flags: kernelFS},
	{fstype: "sysfs", target: "/sys", flags: kernelFS},
	{fstype: "devtmpfs", target: "/dev", flags: unix.MS_NOSUID},
}

// hostMounts go on top of the host's read-only root, in order, to give the command the
// usual kernel interfaces and writable scratch space.
var hostMounts = []mount{
	{fstype: "proc", target: "/proc", flags: kernelFS},
	{fstype: "sysfs", target: "/sys", flags: kernelFS},
	{fstype: "devtmpfs", target: "/dev", flags: unix.MS_NOSUID},
	{fstype: "devpts", target: "/dev/pts", flags: unix.MS_NOSUID | unix.MS_NOEXEC, data: "gid=5,mode=620,ptmxmode=666", optional: true, mkdir: true},
	{fstype: "tmpfs", target: "/dev/shm", flags: nosuidNodev, data: "mode=1777", optional: true, mkdir: true},
	{fstype: "tmpfs", target: "/tmp", flags: nosuidNodev, data: "mode=1777"},
	{fstype: "tmpfs", target: "/run", flags: nosuidNodev, data: "mode=755"},
	{fstype: "configfs", target: "/sys/kernel/config", flags: kernelFS, optional: true},
	{fstype: "tracefs", target: "/sys/kernel/tracing", flags: kernelFS, optional: true},
	{fstype: "debugfs", target: "/sys/kernel/debug", flags: kernelFS, optional: true},
	{fstype: "bpf", target: "/sys/fs/bpf", flags: kernelFS, data: "mode=700", optional: true},
	{fstype: "cgroup2", target: "/sys/fs/cgroup", flags: kernelFS, optional: true},
}

// devLinks are the /dev symlinks udev would make and shells expect (process substitution
// uses /dev/fd).
var devLinks = map[string]string{
	"/dev/fd":     "/proc/self/fd",
	"/dev/stdin":  "/proc/self/fd/0",
	"/dev/stdout": "/proc/self/fd/1",
	"/dev/stderr": "/proc/self/fd/2",
}

func mountEarly() error {
	for _, m := range earlyMounts {
		if err := m.do("/"); err != nil {
			return err
		}
	}
	return nil
}

// mountHost mounts the host's root read-only at /host through virtiofs, the guest's file
// systems on it, and copies in what the job needs from the host's /tmp, which the guest's
// own /tmp hides.
func (g *guest) mountHost() error {
	if err := unix.Mount("host", hostMount, "virtiofs", unix.MS_RDONLY, ""); err != nil {
		return fmt.Errorf("mount virtiofs host on %s: %w", hostMount, err)
	}
	// Open the files to copy while they are still visible; the open files outlive the
	// tmpfs mounted over their directory.
	var srcs []*os.File
	defer func() {
		for _, f := range srcs {
			f.Close()
		}
	}()
	for _, p := range g.job.CopyIn {
		f, err := os.Open(filepath.Join(hostMount, p))
		if err != nil {
			return fmt.Errorf("copying %s from the host: %w", p, err)
		}
		srcs = append(srcs, f)
	}
	// Directories to bind from the host's /tmp are pinned to a staging point first, for the
	// same reason.
	for i, p := range g.job.BindIn {
		stage := fmt.Sprintf("/vmrun/bind/%d", i)
		if err := os.MkdirAll(stage, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(filepath.Join(hostMount, p), stage, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("binding %s from the host: %w", p, err)
		}
	}
	for _, m := range hostMounts {
		if err := m.do(hostMount); err != nil {
			if !m.optional {
				return err
			}
			g.logf("optional: %v", err)
		}
	}
	for i, p := range g.job.BindIn {
		dst := filepath.Join(hostMount, p)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return fmt.Errorf("binding %s from the host: %w", p, err)
		}
		if err := unix.Mount(fmt.Sprintf("/vmrun/bind/%d", i), dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("binding %s from the host: %w", p, err)
		}
		// Read-only like the rest of the host's files.
		unix.Mount("", dst, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, "") //nolint:errcheck // already read-only through virtiofs
	}
	for i, p := range g.job.CopyIn {
		if err := copyInto(filepath.Join(hostMount, p), srcs[i]); err != nil {
			return fmt.Errorf("copying %s from the host: %w", p, err)
		}
	}
	for _, d := range g.job.MakeDirs {
		if err := os.MkdirAll(filepath.Join(hostMount, d), 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	for link, target := range devLinks {
		os.Symlink(target, filepath.Join(hostMount, link)) //nolint:errcheck // nice to have
	}
	g.logf("host root mounted")
	return nil
}

// copyInto writes src to dst with src's permissions, creating dst's parents.
func copyInto(dst string, src *os.File) error {
	st, err := src.Stat()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
