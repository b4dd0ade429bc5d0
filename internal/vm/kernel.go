package vm

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dadi-dev/dadi/internal/vm/job"
	"github.com/dadi-dev/dadi/internal/vm/kmod"
)

// Kernel is a guest kernel ready to boot: a directory holding vmlinuz (or an uncompressed
// vmlinux, or both) and uncompressed modules named <name>.ko.
type Kernel struct {
	Dir     string
	Version string
	// Modules are the guest modules found in Dir, with their dependencies, in load order.
	Modules []job.Module
	// Absent lists wanted modules Dir does not have (a custom kernel may build them in).
	Absent []string
}

// Image is the kernel to boot: the uncompressed vmlinux when the cache has one (it boots
// faster, see pvh.ExtractVmlinux), else vmlinuz.
func (k *Kernel) Image() string {
	if p := filepath.Join(k.Dir, "vmlinux"); fileExists(p) {
		return p
	}
	return filepath.Join(k.Dir, "vmlinuz")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// ModulePath is where the module file of name lives.
func (k *Kernel) ModulePath(name string) string { return filepath.Join(k.Dir, name+".ko") }

// guestModules are what the guest loads: ublk itself, and the loop and null_blk references
// that benchmarks compare it with. null_blk starts with no device so tests make their own
// through configfs.
var guestModules = []job.Module{
	{Name: "ublk_drv"},
	{Name: "loop"},
	{Name: "null_blk", Params: "nr_devices=0"},
}

// kernelEnv names a directory holding a ready kernel (vmlinuz and *.ko), to test another
// kernel than the one vmrun downloads.
const kernelEnv = "DADI_VM_KERNEL_DIR"

// openKernel checks dir and works out the module load order.
func openKernel(dir string) (*Kernel, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("kernel directory: %w", err)
	}
	k := &Kernel{Dir: real, Version: filepath.Base(real)}
	if !fileExists(filepath.Join(real, "vmlinuz")) && !fileExists(filepath.Join(real, "vmlinux")) {
		return nil, fmt.Errorf("kernel directory %s has neither vmlinuz nor vmlinux", real)
	}
	var wanted []string
	params := map[string]string{}
	for _, m := range guestModules {
		if _, err := os.Stat(k.ModulePath(m.Name)); err != nil {
			k.Absent = append(k.Absent, m.Name)
			continue
		}
		wanted = append(wanted, m.Name)
		params[m.Name] = m.Params
	}
	order, err := kmod.LoadOrder(wanted, func(name string) ([]string, error) {
		return kmod.Depends(k.ModulePath(name))
	})
	if err != nil {
		return nil, fmt.Errorf("kernel directory %s: %w", real, err)
	}
	for _, name := range order {
		k.Modules = append(k.Modules, job.Module{Name: name, Params: params[name]})
	}
	return k, nil
}

// PrepareKernel returns the guest kernel: $DADI_VM_KERNEL_DIR if set, else the cached
// download, downloading it first if there is none. It prints one line when it downloads.
func PrepareKernel(log io.Writer) (*Kernel, error) {
	if dir := os.Getenv(kernelEnv); dir != "" {
		return openKernel(dir)
	}
	cache, err := cacheDir()
	if err != nil {
		return nil, err
	}
	root := filepath.Join(cache, "kernel")
	current := filepath.Join(root, "current")
	if k, err := openKernel(current); err == nil {
		return k, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("kernel cache: %w", err)
	}
	unlock, err := lockFile(filepath.Join(root, ".lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	if k, err := openKernel(current); err == nil { // Another vmrun got there first.
		return k, nil
	}
	version, err := downloadKernel(log, root)
	if err != nil {
		return nil, err
	}
	if err := replaceSymlink(version, current); err != nil {
		return nil, fmt.Errorf("kernel cache: %w", err)
	}
	return openKernel(current)
}
