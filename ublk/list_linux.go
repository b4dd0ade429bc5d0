package ublk

import (
	"os"
	"sort"
	"strconv"
	"strings"
)

// DeviceIDs lists the ublk devices the kernel knows, live or dead, from their char devices.
func DeviceIDs() ([]int, error) {
	entries, err := os.ReadDir("/sys/class/ublk-char")
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []int
	for _, e := range entries {
		if n, ok := strings.CutPrefix(e.Name(), "ublkc"); ok {
			if id, err := strconv.Atoi(n); err == nil {
				ids = append(ids, id)
			}
		}
	}
	sort.Ints(ids)
	return ids, nil
}

// Size is the device size in bytes as set in its parameters.
func (c *Control) Size(id uint32) (int64, error) {
	p, err := c.GetParams(id)
	if err != nil {
		return 0, err
	}
	return int64(p.Basic.DevSectors) << 9, nil
}
