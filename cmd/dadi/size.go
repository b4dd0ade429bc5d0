package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dadi-dev/dadi/internal/units"
	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/zfile"
)

// Sizes on the command line, all read by internal/units. A bare number counts bytes, except
// where the overlaybd tool doing the same job counts otherwise: create's SIZE counts GiB (as
// overlaybd-create) and --bs counts KiB (as overlaybd-zfile).

// maxDiskSize bounds the sizes of virtual disks given on the command line: 2^62 bytes, which
// leaves the sector and byte arithmetic of every layer kind room; the engine refuses what a
// particular index cannot address when it opens the layer.
const maxDiskSize = 1 << 62

// diskSize is create's SIZE and serve's --null: a positive multiple of 512 bytes.
var diskSize = units.Spec{Min: lsmt.SectorSize, Max: maxDiskSize, Multiple: lsmt.SectorSize}

// virtualSizeSpec is create's SIZE: a bare number is GiB, as overlaybd-create takes it.
var virtualSizeSpec = units.Spec{Bare: units.GiB, Min: lsmt.SectorSize, Max: maxDiskSize, Multiple: lsmt.SectorSize}

// maxIOSpec is serve's --max-io: what ublk's UBLK_F_* limits allow.
var maxIOSpec = units.Spec{Min: 4 << 10, Max: 32 << 20, Multiple: 4 << 10}

// ringSpec is trace record's --ring; the capture checks that it is a power of two.
var ringSpec = units.Spec{Min: 4 << 10, Max: 1 << 30}

// parseFlagSize reads the size of flag (its name, for the message) as sp asks.
func parseFlagSize(flag, s string, sp units.Spec) (int64, error) {
	v, err := units.Parse(s, sp)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", flag, err)
	}
	return v, nil
}

// parseVirtualSize reads create's SIZE (a bare number is GiB).
func parseVirtualSize(s string) (int64, error) { return parseFlagSize("size", s, virtualSizeSpec) }

// parseZfileBlockSize reads --bs: a bare number counts KiB as overlaybd-zfile's --bs does
// ("4" to "64"); a bare number of 1024 or more is taken as bytes ("65536"), which no KiB
// count in range can be mistaken for. Block sizes are 4 KiB to 64 KiB.
func parseZfileBlockSize(s string) (int, error) {
	sp := units.Spec{Bare: units.KiB, Min: zfile.MinBlockSize, Max: zfile.MaxBlockSize}
	if n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64); err == nil && n >= 1024 {
		sp.Bare = units.Byte
	}
	v, err := parseFlagSize("--bs", s, sp)
	return int(v), err
}

// maxIOBytes is --max-io as ublk.Config takes it.
func maxIOBytes(s string) (int, error) {
	v, err := parseFlagSize("--max-io", s, maxIOSpec)
	return int(v), err
}
