package vm

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/dadi-dev/dadi/internal/vm/apt"
	"github.com/dadi-dev/dadi/internal/vm/kmod"
	"github.com/dadi-dev/dadi/internal/vm/pvh"
)

// The guest kernel: Debian's cloud kernel from the release that first ships ublk as a module
// (KERNEL.md). The metapackage is resolved to the versioned image package it depends on, and
// the cache is keyed by that version.
const (
	kernelSuite     = "trixie"
	kernelMeta      = "linux-image-cloud-amd64"
	archiveKeyring  = "/usr/share/keyrings/debian-archive-keyring.gpg"
	mirrorEnv       = "DADI_VM_MIRROR"
	debianSourceDir = "/etc/apt"
)

// downloadKernel fetches the kernel package through a private apt configuration, so the
// machine's own apt state and sources are untouched, and stores vmlinuz and the guest modules
// in root/<version>. It returns the version. The caller holds the cache lock.
func downloadKernel(log io.Writer, root string) (string, error) {
	mirror := os.Getenv(mirrorEnv)
	if mirror == "" {
		sources, err := apt.ReadSources(debianSourceDir)
		if err != nil {
			return "", fmt.Errorf("reading apt sources: %w", err)
		}
		if mirror, err = apt.MirrorURI(sources); err != nil {
			return "", err
		}
	}
	scratch, err := os.MkdirTemp(root, ".download-")
	if err != nil {
		return "", fmt.Errorf("kernel download: %w", err)
	}
	defer os.RemoveAll(scratch)
	fmt.Fprintf(log, "vmrun: downloading the guest kernel (%s, %s) into %s (once)\n", kernelMeta, kernelSuite, root)

	pa, err := apt.NewPrivate(scratch, apt.Archive{URI: mirror, Suite: kernelSuite, Keyring: archiveKeyring})
	if err != nil {
		return "", err
	}
	if _, err := pa.Run("apt-get", "update"); err != nil {
		return "", err
	}
	deps, err := pa.Run("apt-cache", "depends", kernelMeta)
	if err != nil {
		return "", err
	}
	pkg, err := kernelPackage(deps)
	if err != nil {
		return "", err
	}
	deb, err := pa.Download(pkg)
	if err != nil {
		return "", err
	}
	tree := filepath.Join(scratch, "tree")
	if out, err := exec.Command("dpkg-deb", "-x", deb, tree).CombinedOutput(); err != nil {
		return "", fmt.Errorf("unpacking %s: %w\n%s", deb, err, out)
	}
	stage := filepath.Join(scratch, "stage")
	version, err := stageKernel(tree, stage)
	if err != nil {
		return "", fmt.Errorf("kernel package %s: %w", pkg, err)
	}
	if err := os.WriteFile(filepath.Join(stage, "package"), []byte(pkg+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := publishDir(stage, filepath.Join(root, version), scratch); err != nil {
		return "", fmt.Errorf("kernel cache: %w", err)
	}
	return version, nil
}

// kernelPackage picks the versioned image package out of "apt-cache depends" output.
func kernelPackage(out string) (string, error) {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "|")
		dep, ok := strings.CutPrefix(line, "Depends:")
		if !ok {
			continue
		}
		dep = strings.TrimSpace(dep)
		if strings.HasPrefix(dep, "linux-image-") && dep != kernelMeta {
			return dep, nil
		}
	}
	return "", fmt.Errorf("%s depends on no linux-image package:\n%s", kernelMeta, out)
}

// stageKernel copies vmlinuz and the decompressed guest modules with their dependencies from
// an unpacked kernel package into stage, and returns the kernel version.
func stageKernel(tree, stage string) (string, error) {
	images, _ := filepath.Glob(filepath.Join(tree, "boot", "vmlinuz-*"))
	if len(images) != 1 {
		return "", fmt.Errorf("expected one boot/vmlinuz-*, found %d", len(images))
	}
	version := strings.TrimPrefix(filepath.Base(images[0]), "vmlinuz-")
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(images[0], filepath.Join(stage, "vmlinuz")); err != nil {
		return "", err
	}
	// Best effort: without it the guest boots from vmlinuz, only more slowly.
	pvh.ExtractVmlinux(filepath.Join(stage, "vmlinuz"), filepath.Join(stage, "vmlinux")) //nolint:errcheck
	files, err := kmod.Files(tree, version)
	if err != nil {
		return "", err
	}
	var wanted []string
	for _, m := range guestModules {
		wanted = append(wanted, m.Name)
	}
	_, err = kmod.LoadOrder(wanted, func(name string) ([]string, error) {
		src, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("module %s is not in the package", name)
		}
		dst := filepath.Join(stage, name+".ko")
		if err := kmod.Decompress(src, dst); err != nil {
			return nil, err
		}
		return kmod.Depends(dst)
	})
	return version, err
}
