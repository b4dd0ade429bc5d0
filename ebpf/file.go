package ebpf

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"time"
)

// A device trace file: a 64-byte header, then 56-byte records in completion order, all
// little-endian. The header is written last (Writer.Close), with the record count, the lost
// count, a CRC32C of the records and the "complete" flag, so a capture that was killed before
// it finished is recognised instead of read as a short trace.
//
//	header: 0 magic "DADIBTRC", 8 u32 version (1), 12 u32 record size (56), 16 u32 traced
//	        device (0 = all), 20 u32 flags (bit 0 complete), 24 i64 start (Unix ns), 32 u64
//	        events, 40 u64 lost, 48 u32 CRC32C of the records, 52 u32 other (requests that are
//	        neither reads, writes, discards nor flushes), 56 u64 reserved
//	record: 0 u64 time (ns since start), 8 u64 latency ns, 16 u64 sector, 24 u32 bytes,
//	        28 u32 device, 32 u32 pid, 36 u8 op ('R' 'W' 'D' 'F'), 37 u8 error, 38 2 pad,
//	        40 comm[16] (NUL-padded)
const (
	FileMagic      = "DADIBTRC"
	FileVersion    = 1
	FileHeaderSize = 64
	FileRecordSize = 56
	flagComplete   = 1
)

// ErrBadFile marks a device trace file that breaks the format.
var ErrBadFile = errors.New("bad device trace file")

// File is a whole device trace.
type File struct {
	Dev    Dev // the traced device, 0 when every device was traced
	Start  time.Time
	Lost   uint64 // events the kernel could not deliver
	Other  uint32 // requests of other kinds (zone, driver-private), not traced
	Events []Event
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Writer streams events to a device trace file.
type Writer struct {
	f     *os.File
	w     *bufio.Writer
	crc   uint32
	n     uint64
	dev   Dev
	start time.Time
	rec   [FileRecordSize]byte
}

// NewWriter starts a trace in f (truncated), for dev, begun at start.
func NewWriter(f *os.File, dev Dev, start time.Time) (*Writer, error) {
	if err := f.Truncate(0); err != nil {
		return nil, err
	}
	if _, err := f.WriteAt(make([]byte, FileHeaderSize), 0); err != nil {
		return nil, err
	}
	if _, err := f.Seek(FileHeaderSize, io.SeekStart); err != nil {
		return nil, err
	}
	return &Writer{f: f, w: bufio.NewWriterSize(f, 1<<20), dev: dev, start: start}, nil
}

// Write appends one event.
func (w *Writer) Write(e *Event) error {
	encodeEvent(w.rec[:], e)
	w.crc = crc32.Update(w.crc, crcTable, w.rec[:])
	w.n++
	_, err := w.w.Write(w.rec[:])
	return err
}

// Count is the number of events written so far.
func (w *Writer) Count() uint64 { return w.n }

// Close writes the header with the final counts and marks the file complete. It does not close
// the underlying file.
func (w *Writer) Close(lost uint64, other uint32) error {
	if err := w.w.Flush(); err != nil {
		return err
	}
	h := make([]byte, FileHeaderSize)
	copy(h, FileMagic)
	le := binary.LittleEndian
	le.PutUint32(h[8:], FileVersion)
	le.PutUint32(h[12:], FileRecordSize)
	le.PutUint32(h[16:], uint32(w.dev))
	le.PutUint32(h[20:], flagComplete)
	le.PutUint64(h[24:], uint64(w.start.UnixNano()))
	le.PutUint64(h[32:], w.n)
	le.PutUint64(h[40:], lost)
	le.PutUint32(h[48:], w.crc)
	le.PutUint32(h[52:], other)
	_, err := w.f.WriteAt(h, 0)
	return err
}

func encodeEvent(p []byte, e *Event) {
	le := binary.LittleEndian
	le.PutUint64(p[0:], e.Time)
	le.PutUint64(p[8:], e.Latency)
	le.PutUint64(p[16:], e.Sector)
	le.PutUint32(p[24:], e.Bytes)
	le.PutUint32(p[28:], uint32(e.Dev))
	le.PutUint32(p[32:], e.PID)
	p[36], p[37], p[38], p[39] = byte(e.Op), e.Error, 0, 0
	clear(p[40:56])
	copy(p[40:56], e.Comm)
}

// ReadFile reads and checks a whole device trace file.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseFile(b, path)
}

// ParseFile decodes a device trace. Every failure wraps ErrBadFile and says what is wrong.
func ParseFile(b []byte, name string) (*File, error) {
	bad := func(format string, args ...any) (*File, error) {
		return nil, fmt.Errorf("%s: %w: %s", name, ErrBadFile, fmt.Sprintf(format, args...))
	}
	if len(b) < FileHeaderSize {
		return bad("%d bytes is shorter than the %d-byte header", len(b), FileHeaderSize)
	}
	if string(b[:8]) != FileMagic {
		if bytes.Equal(b[:8], make([]byte, 8)) {
			return bad("no header: the capture did not finish (was dadi trace record killed?)")
		}
		return bad("magic %q, want %q", b[:8], FileMagic)
	}
	le := binary.LittleEndian
	if v := le.Uint32(b[8:]); v != FileVersion {
		return bad("version %d, this dadi reads version %d", v, FileVersion)
	}
	if rs := le.Uint32(b[12:]); rs != FileRecordSize {
		return bad("record size %d, want %d", rs, FileRecordSize)
	}
	if le.Uint32(b[20:])&flagComplete == 0 {
		return bad("the capture did not finish")
	}
	n := le.Uint64(b[32:])
	body := b[FileHeaderSize:]
	if uint64(len(body))%FileRecordSize != 0 || uint64(len(body))/FileRecordSize != n {
		return bad("header says %d records, the file holds %d bytes of records (%d-byte records)", n, len(body), FileRecordSize)
	}
	if want, got := le.Uint32(b[48:]), crc32.Checksum(body, crcTable); want != got {
		return bad("records checksum %#08x, header says %#08x", got, want)
	}
	f := &File{
		Dev:    Dev(le.Uint32(b[16:])),
		Start:  time.Unix(0, int64(le.Uint64(b[24:]))),
		Lost:   le.Uint64(b[40:]),
		Other:  le.Uint32(b[52:]),
		Events: make([]Event, n),
	}
	for i := range f.Events {
		p := body[i*FileRecordSize:]
		e := &f.Events[i]
		e.Time, e.Latency, e.Sector = le.Uint64(p[0:]), le.Uint64(p[8:]), le.Uint64(p[16:])
		e.Bytes, e.Dev, e.PID = le.Uint32(p[24:]), Dev(le.Uint32(p[28:])), le.Uint32(p[32:])
		e.Op, e.Error = Op(p[36]), p[37]
		if !e.Op.valid() {
			return bad("record %d has op %#x, want one of R W D F", i, p[36])
		}
		e.Comm = cString(p[40:56])
	}
	return f, nil
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
