package perf

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// refDevice is a kernel block device the same jobs run on, so dadi's figures have a ratio.
type refDevice struct {
	Name   string // "null_blk", "loop"
	Device string
	close  func() error
}

// nullbConfig is null_blk's configfs directory, where devices are made at run time.
const nullbConfig = "/sys/kernel/config/nullb"

// errNoReference means this kernel cannot give the reference; the report then says so.
var errNoReference = errors.New("no reference device")

// newNullBlk makes a null_blk device of size bytes through configfs. Like dadi's null target
// it keeps no data: reads complete at once, writes are dropped.
func newNullBlk(size int64) (*refDevice, error) {
	if _, err := os.Stat(nullbConfig); err != nil {
		// configfs may just not be mounted yet; null_blk itself may also be absent.
		exec.Command("mount", "-t", "configfs", "configfs", "/sys/kernel/config").Run()
		if _, err := os.Stat(nullbConfig); err != nil {
			return nil, fmt.Errorf("%w: null_blk (%s) is not loaded: modprobe null_blk nr_devices=0", errNoReference, nullbConfig)
		}
	}
	dir := filepath.Join(nullbConfig, "dadibench"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("null_blk: %w", err)
	}
	remove := func() error {
		os.WriteFile(filepath.Join(dir, "power"), []byte("0"), 0)
		return os.Remove(dir)
	}
	mib := (size + 1<<20 - 1) >> 20
	for _, kv := range [][2]string{{"size", strconv.FormatInt(mib, 10)}, {"memory_backed", "0"}, {"power", "1"}} {
		if err := os.WriteFile(filepath.Join(dir, kv[0]), []byte(kv[1]), 0); err != nil {
			remove()
			return nil, fmt.Errorf("null_blk: set %s=%s: %w", kv[0], kv[1], err)
		}
	}
	idx, err := os.ReadFile(filepath.Join(dir, "index"))
	if err != nil {
		remove()
		return nil, fmt.Errorf("null_blk: %w", err)
	}
	// Kernels since 6.x name the disk after its configfs directory; older ones nullb<index>.
	dev := "/dev/" + filepath.Base(dir)
	if err := waitExists(dev); err != nil {
		dev = "/dev/nullb" + strings.TrimSpace(string(idx))
		if err := waitExists(dev); err != nil {
			remove()
			return nil, fmt.Errorf("null_blk made, but neither /dev/%s nor %s appeared", filepath.Base(dir), dev)
		}
	}
	return &refDevice{Name: "null_blk", Device: dev, close: remove}, nil
}

// newLoop attaches file to a loop device with direct I/O, so the page cache does not stand
// between fio and the file any more than it does for dadi's file target.
func newLoop(file string) (*refDevice, error) {
	if _, err := exec.LookPath("losetup"); err != nil {
		return nil, fmt.Errorf("%w: losetup is not installed", errNoReference)
	}
	out, err := exec.Command("losetup", "--direct-io=on", "-f", "--show", file).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("losetup %s: %v: %s", file, err, strings.TrimSpace(string(out)))
	}
	dev := strings.TrimSpace(string(out))
	name := "loop"
	if b, _ := os.ReadFile(filepath.Join("/sys/block", filepath.Base(dev), "loop", "dio")); strings.TrimSpace(string(b)) != "1" {
		name = "loop-buffered" // the file system under file refused direct I/O
	}
	return &refDevice{Name: name, Device: dev, close: func() error {
		if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
			return fmt.Errorf("losetup -d %s: %v: %s", dev, err, out)
		}
		return nil
	}}, nil
}

func (r *refDevice) Close() error { return r.close() }

// deviceSize is the size of a block device in bytes, from sysfs.
func deviceSize(dev string) (int64, error) {
	real, err := filepath.EvalSymlinks(dev)
	if err != nil {
		return 0, err
	}
	b, err := os.ReadFile(filepath.Join("/sys/class/block", filepath.Base(real), "size"))
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", dev, err)
	}
	sectors, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", dev, err)
	}
	return sectors * 512, nil
}
