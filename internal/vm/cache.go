package vm

import (
	"fmt"
	"os"
	"path/filepath"
)

// cacheDir is where vmrun keeps what it downloads, ~/.cache/dadi by default ($XDG_CACHE_HOME
// is honoured).
func cacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache directory: %w", err)
	}
	return filepath.Join(base, "dadi"), nil
}

// replaceSymlink points link at target atomically, so a reader sees the old or the new
// target, never a missing link.
func replaceSymlink(target, link string) error {
	tmp := link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// publishDir moves the finished directory stage to dest by rename, so no reader ever sees a
// half-filled one. A dest left by an earlier download is first renamed into trash (which
// the caller removes): a run that already resolved dest then finds the new files there.
func publishDir(stage, dest, trash string) error {
	if _, err := os.Lstat(dest); err == nil {
		if err := os.Rename(dest, filepath.Join(trash, "old")); err != nil {
			return err
		}
	}
	return os.Rename(stage, dest)
}
