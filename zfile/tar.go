package zfile

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// overlaybd's one-file tar (`overlaybd-commit -t`): a PAX extended header named
// "overlaybd.pax" whose one record is "size=N", its 512-byte data block, a ustar header
// "overlaybd.commit" with size 0 and mtime 0, then the N payload bytes, zero padding to 512
// and 1024 zero bytes. The headers are formatted the way libtar does it (overlaybd's tar
// writer descends from it), which TarWriterAt reproduces byte for byte.
const (
	tarBlock        = 512
	tarPayloadOff   = 3 * tarBlock // PAX header + PAX data + ustar header
	tarPaxName      = "overlaybd.pax"
	tarMemberName   = "overlaybd.commit"
	maxPaxDataBytes = 64 << 10 // bound on the PAX records read while unwrapping
)

// UnwrapTar recognises overlaybd's one-file tar (payload at 1536) and a plain one-member
// ustar (payload at 512) in the first bytes of r. ok is false, with no error, when r does not
// start with a ustar header; a tar whose headers do not add up is an ErrCorrupt error.
func UnwrapTar(r io.ReaderAt, size int64) (payloadOff, payloadSize int64, ok bool, err error) {
	var hdr [tarBlock]byte
	if size < tarBlock {
		return 0, 0, false, nil
	}
	if err := readFull(r, hdr[:], 0, "tar", "tar header"); err != nil {
		return 0, 0, false, err
	}
	if !isUstar(&hdr) {
		return 0, 0, false, nil
	}
	if err := checkTarSum(&hdr, 0); err != nil {
		return 0, 0, false, err
	}
	pos := int64(0)
	paxSize := int64(-1)
	if hdr[156] == 'x' {
		n, err := tarOctal(hdr[124:136])
		if err != nil || n > maxPaxDataBytes || tarBlock+n > size {
			return 0, 0, false, corruptf("tar", 124, "PAX header size field %q", hdr[124:136])
		}
		data := make([]byte, n)
		if err := readFull(r, data, tarBlock, "tar", "PAX records"); err != nil {
			return 0, 0, false, err
		}
		if paxSize, err = paxSizeRecord(data); err != nil {
			return 0, 0, false, err
		}
		pos = tarBlock + (n+tarBlock-1)/tarBlock*tarBlock
		if pos+tarBlock > size {
			return 0, 0, false, corrupt("tar", pos, "truncated after the PAX header")
		}
		if err := readFull(r, hdr[:], pos, "tar", "tar header"); err != nil {
			return 0, 0, false, err
		}
		if !isUstar(&hdr) {
			return 0, 0, false, corrupt("tar", pos, "PAX header not followed by a ustar header")
		}
		if err := checkTarSum(&hdr, pos); err != nil {
			return 0, 0, false, err
		}
	}
	if t := hdr[156]; t != '0' && t != 0 {
		return 0, 0, false, corruptf("tar", pos+156, "member type %q, want a regular file", t)
	}
	payloadOff = pos + tarBlock
	payloadSize = paxSize
	if payloadSize < 0 {
		n, err := tarOctal(hdr[124:136])
		if err != nil {
			return 0, 0, false, corruptf("tar", pos+124, "size field %q", hdr[124:136])
		}
		payloadSize = n
	}
	if payloadSize > size-payloadOff {
		return 0, 0, false, corruptf("tar", payloadOff, "member of %d bytes overruns the %d-byte file", payloadSize, size)
	}
	return payloadOff, payloadSize, true, nil
}

func isUstar(h *[tarBlock]byte) bool { return bytes.Equal(h[257:262], []byte("ustar")) }

// checkTarSum checks the header checksum: the byte sum with the checksum field as spaces.
func checkTarSum(h *[tarBlock]byte, off int64) error {
	want, err := tarOctal(h[148:156])
	if err != nil {
		return corruptf("tar", off+148, "checksum field %q", h[148:156])
	}
	if got := tarSum(h); int64(got) != want {
		return corruptf("tar", off+148, "header checksum %d, computed %d", want, got)
	}
	return nil
}

func tarSum(h *[tarBlock]byte) uint32 {
	var s uint32
	for i, c := range h {
		if i >= 148 && i < 156 {
			c = ' '
		}
		s += uint32(c)
	}
	return s
}

// tarOctal parses a numeric field: octal digits padded with spaces or NULs on either side.
func tarOctal(f []byte) (int64, error) {
	s := string(bytes.Trim(f, " \x00"))
	if s == "" {
		return 0, nil
	}
	return strconv.ParseInt(s, 8, 64)
}

// paxSizeRecord finds "size=N" in PAX records ("LEN key=value\n" each).
func paxSizeRecord(data []byte) (int64, error) {
	size := int64(-1)
	for len(data) > 0 && data[0] != 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp <= 0 {
			return 0, corrupt("tar", tarBlock, "malformed PAX record")
		}
		n, err := strconv.Atoi(string(data[:sp]))
		if err != nil || n <= sp+1 || n > len(data) || data[n-1] != '\n' {
			return 0, corrupt("tar", tarBlock, "malformed PAX record length")
		}
		rec := data[sp+1 : n-1]
		if k, v, ok := bytes.Cut(rec, []byte("=")); ok && string(k) == "size" {
			size, err = strconv.ParseInt(string(v), 10, 64)
			if err != nil || size < 0 {
				return 0, corruptf("tar", tarBlock, "PAX size %q", v)
			}
		}
		data = data[n:]
	}
	return size, nil
}

// TarWriterAt wraps an io.WriterAt so that a ZFile (or anything) written at offset 0 lands
// after overlaybd's tar headers; Finish writes those headers once the payload size is known.
type TarWriterAt struct {
	dst io.WriterAt
}

// NewTarWriterAt returns a TarWriterAt writing into dst.
func NewTarWriterAt(dst io.WriterAt) *TarWriterAt { return &TarWriterAt{dst: dst} }

// WriteAt writes p at payload offset off.
func (t *TarWriterAt) WriteAt(p []byte, off int64) (int, error) {
	return t.dst.WriteAt(p, off+tarPayloadOff)
}

// Finish writes the PAX header carrying payloadSize, the ustar member header, the zero
// padding after the payload and the two zero blocks that end the archive.
func (t *TarWriterAt) Finish(payloadSize int64) error {
	var head [tarPayloadOff]byte
	rec := fmt.Sprintf("size=%d\n", payloadSize)
	rec = paxRecord(rec)
	if len(rec) > tarBlock {
		return fmt.Errorf("zfile: PAX record too long")
	}
	pax := (*[tarBlock]byte)(head[0:tarBlock])
	copy(pax[0:], tarPaxName)
	libtarOctalNoNul(pax[124:136], int64(len(rec)))
	pax[156] = 'x'
	copy(pax[257:], "ustar\x0000")
	libtarOctal(pax[148:156], int64(tarSum(pax)))
	copy(head[tarBlock:], rec)

	mem := (*[tarBlock]byte)(head[2*tarBlock : 3*tarBlock])
	copy(mem[0:], tarMemberName)
	libtarOctal(mem[100:108], 0o100644)
	libtarOctal(mem[108:116], 0)
	libtarOctal(mem[116:124], 0)
	libtarOctalNoNul(mem[124:136], 0)
	libtarOctalNoNul(mem[136:148], 0)
	mem[156] = '0'
	copy(mem[257:], "ustar\x0000")
	copy(mem[265:], "root")
	copy(mem[297:], "root")
	libtarOctal(mem[148:156], int64(tarSum(mem)))
	if _, err := t.dst.WriteAt(head[:], 0); err != nil {
		return fmt.Errorf("zfile: write tar headers: %w", err)
	}
	end := tarPayloadOff + payloadSize
	pad := (tarBlock-end%tarBlock)%tarBlock + 2*tarBlock
	if _, err := t.dst.WriteAt(make([]byte, pad), end); err != nil {
		return fmt.Errorf("zfile: write tar end: %w", err)
	}
	return nil
}

// paxRecord prefixes "key=value\n" with its own length, which counts the length's digits.
func paxRecord(kv string) string {
	n := len(kv) + 2
	for {
		s := strconv.Itoa(n) + " " + kv
		if len(s) == n {
			return s
		}
		n = len(s)
	}
}

// libtarOctal writes n right-aligned in len(f)-2 columns, then a space and a NUL (libtar's
// int_to_oct, used for mode, uid, gid and the checksum).
func libtarOctal(f []byte, n int64) {
	s := fmt.Sprintf("%*o ", len(f)-2, n)
	copy(f, s)
	f[len(f)-1] = 0
}

// libtarOctalNoNul writes n right-aligned in len(f)-1 columns, then a space (libtar's
// int_to_oct_nonull, used for size and mtime).
func libtarOctalNoNul(f []byte, n int64) {
	copy(f, fmt.Sprintf("%*o ", len(f)-1, n))
}
