package pvh

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
)

// xenElfNotePhys32Entry is the ELF note (owner "Xen") that marks a PVH entry point, which
// qemu requires to boot an uncompressed kernel.
const xenElfNotePhys32Entry = 18

// checkPVH says whether an ELF kernel has a PVH entry point.
func checkPVH(vmlinux []byte) error {
	f, err := elf.NewFile(bytes.NewReader(vmlinux))
	if err != nil {
		return fmt.Errorf("uncompressed kernel: %w", err)
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		notes, err := io.ReadAll(p.Open())
		if err != nil {
			return fmt.Errorf("uncompressed kernel notes: %w", err)
		}
		if hasNote(notes, "Xen", xenElfNotePhys32Entry) {
			return nil
		}
	}
	return fmt.Errorf("uncompressed kernel has no PVH entry point")
}

// hasNote walks ELF notes (namesz, descsz, type, then name and desc, each padded to four).
func hasNote(notes []byte, owner string, typ uint32) bool {
	for len(notes) >= 12 {
		namesz := int(binary.LittleEndian.Uint32(notes))
		descsz := int(binary.LittleEndian.Uint32(notes[4:]))
		t := binary.LittleEndian.Uint32(notes[8:])
		nameEnd := 12 + namesz + pad4(namesz)
		next := nameEnd + descsz + pad4(descsz)
		if namesz < 0 || descsz < 0 || next > len(notes) {
			return false
		}
		if t == typ && string(bytes.TrimRight(notes[12:12+namesz], "\x00")) == owner {
			return true
		}
		notes = notes[next:]
	}
	return false
}

// pad4 is how many bytes bring n up to a multiple of four.
func pad4(n int) int { return (4 - n%4) % 4 }
