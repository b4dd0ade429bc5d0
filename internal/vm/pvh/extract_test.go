package pvh

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBzImage builds the parts of a bzImage that ExtractVmlinux reads: the boot header and a
// gzip payload with the uncompressed size appended, as the kernel's build lays them out.
func fakeBzImage(t *testing.T, kernel []byte) []byte {
	t.Helper()
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(kernel)
	zw.Close()
	payload := binary.LittleEndian.AppendUint32(z.Bytes(), uint32(len(kernel)))
	img := make([]byte, 2*512+100) // one setup sector after the boot sector, then 100 bytes
	img[0x1f1] = 1
	copy(img[0x202:], "HdrS")
	binary.LittleEndian.PutUint16(img[0x206:], 0x20f)
	binary.LittleEndian.PutUint32(img[0x248:], 100)
	binary.LittleEndian.PutUint32(img[0x24c:], uint32(len(payload)))
	return append(img, payload...)
}

func TestBzImagePayload(t *testing.T) {
	kernel := bytes.Repeat([]byte("not really a kernel "), 1000)
	img := fakeBzImage(t, kernel)
	payload, err := bzImagePayload(img)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decompressPayload(payload[:len(payload)-4])
	if err != nil || !bytes.Equal(got, kernel) {
		t.Fatalf("decompressed %d bytes, %v; want %d", len(got), err, len(kernel))
	}

	// Not an ELF with a PVH note: extraction must fail and leave nothing behind.
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "vmlinuz"), filepath.Join(dir, "vmlinux")
	if err := os.WriteFile(src, img, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ExtractVmlinux(src, dst); err == nil {
		t.Fatal("extracted a kernel without a PVH entry")
	}
	if _, err := os.Stat(dst); err == nil {
		t.Error("failed extraction left a vmlinux")
	}

	binary.LittleEndian.PutUint32(img[0x24c:], 1<<30)
	if _, err := bzImagePayload(img); err == nil {
		t.Error("a payload past the end of the image was accepted")
	}
	if _, err := bzImagePayload([]byte("MZ")); err == nil || !strings.Contains(err.Error(), "bzImage") {
		t.Errorf("short image: %v", err)
	}
}
