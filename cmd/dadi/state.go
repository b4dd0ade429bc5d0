package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Target kinds stored in the kernel's device info (ublksrv_flags), so `dadi list` can name a
// device's target even when its state file is gone.
const (
	kindNull  = 1
	kindFile  = 2
	kindImage = 3
)

func kindName(k uint64) string {
	switch k {
	case kindNull:
		return "null"
	case kindFile:
		return "file"
	case kindImage:
		return "image"
	}
	return "unknown"
}

// stateDir holds one small file per device served by a dadi daemon on this machine.
var stateDir = "/run/dadi"

// deviceState is what a daemon records about the device it serves.
type deviceState struct {
	ID     int    `json:"id"`
	PID    int    `json:"pid"`
	Target string `json:"target"` // e.g. "file:/var/lib/disk.img", "null"
}

func statePath(id int) string { return filepath.Join(stateDir, fmt.Sprintf("ublk%d.json", id)) }

func writeState(s deviceState) error {
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	tmp := statePath(s.ID) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, statePath(s.ID))
}

func readState(id int) (deviceState, bool) {
	var s deviceState
	b, err := os.ReadFile(statePath(id))
	if err != nil || json.Unmarshal(b, &s) != nil {
		return s, false
	}
	return s, true
}

func removeState(id int) { os.Remove(statePath(id)) }
