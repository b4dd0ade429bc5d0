package vm

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dadi-dev/dadi/internal/vm/apt"
)

// hostTool is a program the host side needs, or that commands in the guest expect to find
// (the guest sees the host's files), and the Debian package that brings it.
type hostTool struct {
	names   []string // any one will do: a bare name is looked up in PATH and the sbin dirs
	pkg     string
	purpose string
}

// virtiofsdPaths are where Debian installs virtiofsd: bookworm's qemu-system-common, then
// trixie's own virtiofsd package.
var virtiofsdPaths = []string{"/usr/lib/qemu/virtiofsd", "/usr/libexec/virtiofsd"}

var hostTools = []hostTool{
	{[]string{"qemu-system-x86_64"}, "qemu-system-x86", "runs the VM"},
	{virtiofsdPaths, "qemu-system-x86", "shares the host's files with the VM"},
	{[]string{"xz"}, "xz-utils", "unpacks kernel modules"},
	{[]string{"zstd"}, "zstd", "unpacks the kernel for a faster boot"},
	{[]string{"dpkg-deb"}, "dpkg", "unpacks the kernel package"},
	{[]string{"fio"}, "fio", "benchmarks in the VM"},
	{[]string{"mkfs.ext4"}, "e2fsprogs", "file systems in the VM"},
	{[]string{"e2fsck"}, "e2fsprogs", "file systems in the VM"},
	{[]string{"ip"}, "iproute2", "networking in the VM"},
}

// findTool returns the path of the first of names that exists. sbin directories are searched
// even when PATH lacks them, as it often does for non-root users.
func findTool(names ...string) (string, bool) {
	for _, n := range names {
		if filepath.IsAbs(n) {
			if st, err := os.Stat(n); err == nil && !st.IsDir() {
				return n, true
			}
			continue
		}
		if p, err := exec.LookPath(n); err == nil {
			return p, true
		}
		for _, d := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
			p := filepath.Join(d, n)
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return p, true
			}
		}
	}
	return "", false
}

// missingPackages lists the packages to install for the tools that are absent.
func missingPackages() []string {
	var pkgs []string
	for _, t := range hostTools {
		if _, ok := findTool(t.names...); !ok && !slices.Contains(pkgs, t.pkg) {
			pkgs = append(pkgs, t.pkg)
		}
	}
	return pkgs
}

// ensureTools installs missing host tools with apt-get, under lockPath so concurrent vmruns
// do not race apt's own lock. It prints one line when it installs anything.
func ensureTools(log io.Writer, lockPath string) error {
	if len(missingPackages()) == 0 {
		return nil
	}
	unlock, err := lockFile(lockPath)
	if err != nil {
		return err
	}
	defer unlock()
	pkgs := missingPackages() // Another vmrun may have installed them while we waited.
	if len(pkgs) == 0 {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("missing host tools; install them with: sudo apt-get install --no-install-recommends %s", strings.Join(pkgs, " "))
	}
	fmt.Fprintf(log, "vmrun: installing %s with apt-get (once)\n", strings.Join(pkgs, " "))
	if err := apt.Get("update"); err != nil {
		return err
	}
	if err := apt.Get(append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)...); err != nil {
		return err
	}
	// Bookworm's qemu brings virtiofsd; later releases package it on its own.
	if _, ok := findTool(virtiofsdPaths...); !ok {
		if err := apt.Get("install", "-y", "--no-install-recommends", "virtiofsd"); err != nil {
			return err
		}
	}
	if still := missingPackages(); len(still) > 0 {
		return fmt.Errorf("still missing after apt-get install: tools from %s", strings.Join(still, " "))
	}
	return nil
}
