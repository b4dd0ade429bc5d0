package fetch

import (
	"encoding/binary"
	"hash/crc32"
)

// A blob's index file is a log of 32-byte records, appended after the block's bytes are
// written to the data file. A block counts as cached only once its record is there, so a fill
// cut short by a crash is a miss; the record carries the CRC32C of the block's bytes, checked
// on every read, so bytes a power loss tore (or that another process's eviction punched out)
// are a miss too, never data. A record that fails its own CRC is skipped.
const (
	recordSize   = 32
	recordMagic  = "dblk"
	recordPut    = 1 // the block is in the data file
	recordRemove = 2 // the block was evicted or found bad
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type record struct {
	kind  uint8
	block int64
	len   uint32
	crc   uint32 // of the block's bytes
}

func (r record) marshal(b *[recordSize]byte) {
	*b = [recordSize]byte{}
	copy(b[0:4], recordMagic)
	b[4] = r.kind
	binary.LittleEndian.PutUint64(b[8:], uint64(r.block))
	binary.LittleEndian.PutUint32(b[16:], r.len)
	binary.LittleEndian.PutUint32(b[20:], r.crc)
	binary.LittleEndian.PutUint32(b[28:], crc32.Checksum(b[:28], castagnoli))
}

// parseRecord decodes one record; ok is false for anything that does not check out.
func parseRecord(b []byte) (record, bool) {
	if len(b) < recordSize || string(b[0:4]) != recordMagic ||
		binary.LittleEndian.Uint32(b[28:]) != crc32.Checksum(b[:28], castagnoli) {
		return record{}, false
	}
	r := record{
		kind:  b[4],
		block: int64(binary.LittleEndian.Uint64(b[8:])),
		len:   binary.LittleEndian.Uint32(b[16:]),
		crc:   binary.LittleEndian.Uint32(b[20:]),
	}
	if (r.kind != recordPut && r.kind != recordRemove) || r.block < 0 {
		return record{}, false
	}
	return r, true
}
