package lsmt

import (
	"errors"
)

// A Source whose bytes can be fetched again (a registry blob through the node's block cache)
// gets a second chance at a read that failed a check.

// invalidator is a Source whose bytes can be fetched again.
type invalidator interface{ Invalidate(off, n int64) }

// refetchCorrupt handles a read of a remote layer that failed a check (a ZFile block CRC, a
// short read): the blocks under it are dropped from the cache and read once more, so bytes
// damaged on the network cost a retry, not a permanently failing block. A second failure is
// returned (the ublk completion says EIO); its blocks are dropped too, so a later read tries
// again.
func (l *ROLayer) refetchCorrupt(p []byte, off int64, err error) error {
	inv, ok := l.src.(invalidator)
	if !ok || !errors.Is(err, ErrCorrupt) {
		return err
	}
	l.invalidate(inv, off, len(p))
	if err := ReadFull(l.r, l.name, p, off); err != nil {
		l.invalidate(inv, off, len(p))
		return err
	}
	return nil
}

// invalidate drops the source bytes a read of the LSMT range [off, off+n) used.
func (l *ROLayer) invalidate(inv invalidator, off int64, n int) {
	if l.ZFile == nil {
		inv.Invalidate(l.TarOffset+off, int64(n))
		return
	}
	fileOff, sn := l.ZFile.StoredExtent(off, n)
	inv.Invalidate(l.TarOffset+fileOff, int64(sn))
}
