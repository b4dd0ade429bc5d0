package ebpf

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Target is the device a capture watches. The block tracepoints see whole disks, so a
// partition is traced through its disk and its requests are cut to the partition's range.
type Target struct {
	Name string // as the user gave it
	Dev  Dev    // the disk the kernel reports requests for
	// PartStart and PartSectors bound a partition on Dev, in sectors; PartSectors 0 = whole disk.
	PartStart, PartSectors uint64
}

// ResolveDevice turns a block device path (/dev/loop0) or a MAJOR:MINOR pair into a Target.
func ResolveDevice(s string) (Target, error) {
	t := Target{Name: s}
	var major, minor uint32
	if a, b, ok := strings.Cut(s, ":"); ok && !strings.Contains(s, "/") {
		ma, err1 := strconv.ParseUint(a, 10, 12)
		mi, err2 := strconv.ParseUint(b, 10, 20)
		if err1 != nil || err2 != nil {
			return t, fmt.Errorf("device %q: want a block device path or MAJOR:MINOR", s)
		}
		major, minor = uint32(ma), uint32(mi)
	} else {
		var st unix.Stat_t
		if err := unix.Stat(s, &st); err != nil {
			return t, fmt.Errorf("device %s: %w", s, err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFBLK {
			return t, fmt.Errorf("%s is not a block device", s)
		}
		major, minor = unix.Major(st.Rdev), unix.Minor(st.Rdev)
	}
	sys := fmt.Sprintf("/sys/dev/block/%d:%d", major, minor)
	if _, err := os.Stat(sys); err != nil {
		return t, fmt.Errorf("device %s (%d:%d): no such block device on this kernel", s, major, minor)
	}
	t.Dev = MkDev(major, minor)
	if _, err := os.Stat(filepath.Join(sys, "partition")); err != nil {
		return t, nil
	}
	start, err1 := readSysUint(filepath.Join(sys, "start"))
	size, err2 := readSysUint(filepath.Join(sys, "size"))
	disk, err3 := os.ReadFile(filepath.Join(sys, "..", "dev"))
	if err1 != nil || err2 != nil || err3 != nil {
		return t, fmt.Errorf("partition %s: cannot read its disk and range from %s", s, sys)
	}
	var dma, dmi uint32
	if _, err := fmt.Sscanf(strings.TrimSpace(string(disk)), "%d:%d", &dma, &dmi); err != nil {
		return t, fmt.Errorf("partition %s: disk number %q: %w", s, disk, err)
	}
	t.Dev, t.PartStart, t.PartSectors = MkDev(dma, dmi), start, size
	return t, nil
}

// clip cuts e to the partition, rebasing its sector; ok is false if e lies outside it.
func (t *Target) clip(e *Event) bool {
	if t.PartSectors == 0 {
		return true
	}
	end := e.Sector + uint64(e.Bytes)/512
	if e.Bytes == 0 { // flush: belongs to every partition of the disk
		return true
	}
	lo, hi := max(e.Sector, t.PartStart), min(end, t.PartStart+t.PartSectors)
	if lo >= hi {
		return false
	}
	e.Sector, e.Bytes = lo-t.PartStart, uint32(hi-lo)*512
	return true
}

func readSysUint(p string) (uint64, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
}
