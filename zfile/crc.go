package zfile

import "hash/crc32"

// overlaybd computes CRC32C in its "raw" form: the register starts at the given value and is
// not inverted at the end. Go's crc32.Update inverts on entry and exit, so raw(init, p) is
// ^Update(^init, p).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// blockCRCInit seeds every per-block CRC (overlaybd's NOI_WELL_KNOWN_PRIME).
const blockCRCInit = 100007

func crcRaw(init uint32, p []byte) uint32 {
	return ^crc32.Update(^init, castagnoli, p)
}

// blockCRC is the 4-byte checksum stored after a compressed block when verify is on.
func blockCRC(compressed []byte) uint32 { return crcRaw(blockCRCInit, compressed) }
