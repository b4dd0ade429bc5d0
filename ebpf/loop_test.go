package ebpf

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needBPF skips with one line where a capture cannot run, and fails under CI, where it must.
func needBPF(t testing.TB) {
	t.Helper()
	if err := Check(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: %v", err)
		}
		t.Skip(err)
	}
}

// loopDevice attaches a loop device with direct I/O over a new file of size bytes, so reads of
// the device reach the block layer one request per read; it is detached at cleanup.
func loopDevice(t testing.TB, size int64) (dev string, backing string) {
	t.Helper()
	backing = filepath.Join(t.TempDir(), "disk")
	f, err := os.Create(backing)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := exec.Command("losetup", "--direct-io=on", "--find", "--show", backing).CombinedOutput()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("losetup: %v: %s", err, out)
		}
		t.Skipf("no loop device: %v: %s", err, strings.TrimSpace(string(out)))
	}
	dev = strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "--detach", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup --detach %s: %v: %s", dev, err, out)
		}
	})
	return dev, backing
}
