package guest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dadi-dev/dadi/internal/vm/job"
	"golang.org/x/sys/unix"
)

// needsConfigfs lists modules that are configured through configfs: it is mounted before
// they load, as a system with a normal init would have it.
var needsConfigfs = map[string]bool{"null_blk": true}

// loadModules loads the job's modules in the order given (dependencies first).
func loadModules(mods []job.Module, logf func(string, ...any)) error {
	for _, m := range mods {
		if needsConfigfs[m.Name] {
			if err := unix.Mount("configfs", "/sys/kernel/config", "configfs", kernelFS, ""); err != nil && !errors.Is(err, unix.EBUSY) {
				logf("mount configfs: %v", err)
			}
		}
		if err := loadModule(filepath.Join(job.ModuleDir, m.Name+".ko"), m.Params); err != nil {
			return fmt.Errorf("loading module %s: %w", m.Name, err)
		}
		logf("loaded %s %s", m.Name, m.Params)
	}
	return nil
}

// loadModule loads one uncompressed module file. A module that is already there (built in,
// or loaded as someone's dependency) is fine.
func loadModule(path, params string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	err = unix.FinitModule(int(f.Fd()), params, 0)
	if errors.Is(err, unix.ENOSYS) { // Kernels before 3.8 only have init_module.
		var image []byte
		if image, err = os.ReadFile(path); err == nil {
			err = unix.InitModule(image, params)
		}
	}
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	return err
}
