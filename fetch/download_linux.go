package fetch

import (
	"os"
	"syscall"
)

// tryLock takes an exclusive, non-blocking flock on f: one daemon downloads a layer at a time.
// The lock goes with the file descriptor.
func tryLock(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
