package vm

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
		sources, err := readAptSources(debianSourceDir)
		if err != nil {
			return "", fmt.Errorf("reading apt sources: %w", err)
		}
		if mirror, err = mirrorURI(sources); err != nil {
			return "", err
		}
	}
	scratch, err := os.MkdirTemp(root, ".download-")
	if err != nil {
		return "", fmt.Errorf("kernel download: %w", err)
	}
	defer os.RemoveAll(scratch)
	fmt.Fprintf(log, "vmrun: downloading the guest kernel (%s, %s) into %s (once)\n", kernelMeta, kernelSuite, root)

	apt, err := newPrivateApt(scratch, mirror)
	if err != nil {
		return "", err
	}
	if _, err := apt.run("apt-get", "update"); err != nil {
		return "", err
	}
	deps, err := apt.run("apt-cache", "depends", kernelMeta)
	if err != nil {
		return "", err
	}
	pkg, err := kernelPackage(deps)
	if err != nil {
		return "", err
	}
	if _, err := apt.run("apt-get", "download", pkg); err != nil {
		return "", err
	}
	debs, _ := filepath.Glob(filepath.Join(apt.dir, "*.deb"))
	if len(debs) != 1 {
		return "", fmt.Errorf("kernel download: expected one .deb of %s, found %d", pkg, len(debs))
	}
	tree := filepath.Join(scratch, "tree")
	if out, err := exec.Command("dpkg-deb", "-x", debs[0], tree).CombinedOutput(); err != nil {
		return "", fmt.Errorf("unpacking %s: %w\n%s", debs[0], err, out)
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
	extractVmlinux(filepath.Join(stage, "vmlinuz"), filepath.Join(stage, "vmlinux")) //nolint:errcheck
	files, err := moduleFiles(tree, version)
	if err != nil {
		return "", err
	}
	var wanted []string
	for _, m := range guestModules {
		wanted = append(wanted, m.Name)
	}
	_, err = moduleLoadOrder(wanted, func(name string) ([]string, error) {
		src, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("module %s is not in the package", name)
		}
		dst := filepath.Join(stage, name+".ko")
		if err := decompressModule(src, dst); err != nil {
			return nil, err
		}
		return moduleDepends(dst)
	})
	return version, err
}

// moduleFiles maps module names to their files in the package's module tree.
func moduleFiles(tree, version string) (map[string]string, error) {
	files := map[string]string{}
	for _, base := range []string{"usr/lib/modules", "lib/modules"} {
		dir := filepath.Join(tree, base, version)
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			name, _, ok := strings.Cut(d.Name(), ".ko")
			if ok {
				files[moduleName(name)] = p
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no modules for %s in the package", version)
	}
	return files, nil
}

// decompressModule writes src, a .ko or .ko.xz, to dst uncompressed. Decompressing on the
// host means the guest does not depend on the kernel's in-kernel module decompression.
func decompressModule(src, dst string) error {
	switch {
	case strings.HasSuffix(src, ".ko"):
		return os.Rename(src, dst)
	case strings.HasSuffix(src, ".ko.xz"):
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		var stderr bytes.Buffer
		cmd := exec.Command("xz", "-dc", src)
		cmd.Stdout, cmd.Stderr = out, &stderr
		err = cmd.Run()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("xz -d %s: %w %s", src, err, stderr.Bytes())
		}
		return nil
	}
	return fmt.Errorf("module %s: unsupported compression", src)
}
