package pvh

import (
	"encoding/binary"
	"testing"
)

func TestHasNote(t *testing.T) {
	note := func(owner string, typ uint32, desc []byte) []byte {
		name := append([]byte(owner), 0)
		b := binary.LittleEndian.AppendUint32(nil, uint32(len(name)))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(desc)))
		b = binary.LittleEndian.AppendUint32(b, typ)
		b = append(b, name...)
		b = append(b, make([]byte, pad4(len(name)))...)
		b = append(b, desc...)
		return append(b, make([]byte, pad4(len(desc)))...)
	}
	notes := append(note("GNU", 3, []byte{1, 2, 3, 4, 5}), note("Xen", xenElfNotePhys32Entry, []byte{0, 0, 0, 1})...)
	if !hasNote(notes, "Xen", xenElfNotePhys32Entry) {
		t.Error("PVH note not found")
	}
	if hasNote(notes, "Xen", 17) || hasNote(notes[:len(notes)-4], "Xen", xenElfNotePhys32Entry) {
		t.Error("found a note that is not there (or truncated)")
	}
}
