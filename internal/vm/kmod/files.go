package kmod

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Files maps module names to their files in an unpacked kernel package's module tree,
// under usr/lib/modules/<version> or lib/modules/<version>.
func Files(tree, version string) (map[string]string, error) {
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
				files[Name(name)] = p
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

// Decompress writes src, a .ko or .ko.xz, to dst uncompressed (moving a .ko). Decompressing
// on the host means the guest does not depend on the kernel's in-kernel module
// decompression.
func Decompress(src, dst string) error {
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
