package pvh

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// ExtractVmlinux writes the uncompressed kernel held in bzImage to dst, for qemu to boot
// through its PVH entry point. That skips the firmware's real-mode kernel loader and the
// kernel's self-decompression, which under emulation cost a second or more per boot. It
// fails, and the caller keeps booting bzImage, if the payload's compression is unknown or
// the kernel has no PVH entry.
func ExtractVmlinux(bzImage, dst string) error {
	img, err := os.ReadFile(bzImage)
	if err != nil {
		return err
	}
	payload, err := bzImagePayload(img)
	if err != nil {
		return fmt.Errorf("%s: %w", bzImage, err)
	}
	// The kernel's build appends the uncompressed size, little-endian, after the stream.
	stream, size := payload[:len(payload)-4], binary.LittleEndian.Uint32(payload[len(payload)-4:])
	vmlinux, err := decompressPayload(stream)
	if err != nil {
		return fmt.Errorf("%s: %w", bzImage, err)
	}
	if uint32(len(vmlinux)) != size {
		return fmt.Errorf("%s: payload decompressed to %d bytes, header says %d", bzImage, len(vmlinux), size)
	}
	if err := checkPVH(vmlinux); err != nil {
		return fmt.Errorf("%s: %w", bzImage, err)
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, vmlinux, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// bzImagePayload finds the compressed kernel in a bzImage by its boot protocol header
// (Documentation/arch/x86/boot.rst: payload_offset and payload_length, protocol 2.08+).
func bzImagePayload(img []byte) ([]byte, error) {
	if len(img) < 0x250 || string(img[0x202:0x206]) != "HdrS" {
		return nil, fmt.Errorf("not a bzImage")
	}
	if v := binary.LittleEndian.Uint16(img[0x206:]); v < 0x208 {
		return nil, fmt.Errorf("boot protocol %#x has no payload fields", v)
	}
	setupSects := int(img[0x1f1])
	if setupSects == 0 {
		setupSects = 4
	}
	start := (setupSects+1)*512 + int(binary.LittleEndian.Uint32(img[0x248:]))
	end := start + int(binary.LittleEndian.Uint32(img[0x24c:]))
	if start >= end || end > len(img) || end-start < 8 {
		return nil, fmt.Errorf("payload [%d, %d) outside the %d-byte image", start, end, len(img))
	}
	return img[start:end], nil
}

// decompressPayload recognises the payload by its magic. gzip is in the standard library;
// zstd (Debian's choice) and xz go through their command-line tools, as module
// decompression does.
func decompressPayload(stream []byte) ([]byte, error) {
	var tool string
	switch {
	case bytes.HasPrefix(stream, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(bytes.NewReader(stream))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	case bytes.HasPrefix(stream, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		tool = "zstd"
	case bytes.HasPrefix(stream, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		tool = "xz"
	default:
		return nil, fmt.Errorf("payload compression %x not supported", stream[:4])
	}
	cmd := exec.Command(tool, "-dc")
	cmd.Stdin = bytes.NewReader(stream)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s -d: %w %s", tool, err, stderr.Bytes())
	}
	return out.Bytes(), nil
}
