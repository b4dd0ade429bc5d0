package zfile

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// hostileZFile lays out a ZFile by hand: header, data bytes, an index of lengths, trailer, with
// the index fields set to describe exactly that and no digests.
func hostileZFile(data []byte, lengths []uint32, bs uint32, raw uint64, verify bool) []byte {
	ht := headerTrailer{Flags: flagHeader | flagDataFile, BlockSize: bs, Algorithm: LZ4, RawSize: raw,
		IndexOffset: uint64(htSpace + len(data)), IndexSize: uint64(len(lengths))}
	if verify {
		ht.Verify = 1
	}
	var b [htSpace]byte
	ht.marshal(&b)
	out := append(bytes.Clone(b[:]), data...)
	for _, l := range lengths {
		out = append(out, byte(l), byte(l>>8), byte(l>>16), byte(l>>24))
	}
	ht.Flags = flagDataFile | flagSealed
	ht.marshal(&b)
	return append(out, b[:]...)
}

func heapAllocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestOpenBlockCountBoundedByStoredBytes: an index of a million entries in front of an empty
// data area claims a million blocks that the file cannot hold (each takes at least one stored
// byte, five with CRCs). Open refuses it from the header fields, before it allocates the index.
func TestOpenBlockCountBoundedByStoredBytes(t *testing.T) {
	const n = 1 << 20
	for _, c := range []struct {
		data   int
		verify bool
	}{{0, false}, {n - 1, false}, {4*n + 3, true}} {
		z := hostileZFile(make([]byte, c.data), make([]uint32, n), 4096, n*4096, c.verify)
		var err error
		got := heapAllocated(func() { _, err = Open(bytes.NewReader(z), int64(len(z)), "blocks.zfile") })
		var ce *CorruptError
		if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) || ce.Name != "blocks.zfile" || !strings.Contains(err.Error(), "do not fit") {
			t.Fatalf("data %d verify %v: err = %v, want a CorruptError naming the file and the block count", c.data, c.verify, err)
		}
		if ce.Offset != int64(len(z)-htSpace+offIndexSize) {
			t.Errorf("offset %d, want the trailer's index size field at %d", ce.Offset, len(z)-htSpace+offIndexSize)
		}
		if got > 1<<20 {
			t.Fatalf("data %d verify %v: Open allocated %d bytes before refusing", c.data, c.verify, got)
		}
	}
}

// TestOpenIndexReadInChunks: a source that claims more than it holds (a remote blob's size is
// a claim) makes Open fail at the first missing chunk, not allocate for the whole claim.
func TestOpenIndexReadInChunks(t *testing.T) {
	const n = 64 << 20 // blocks; 256 MiB of index if it were read in one go
	ht := headerTrailer{Flags: flagDataFile | flagSealed, BlockSize: 4096, Algorithm: LZ4, RawSize: n * 4096,
		IndexOffset: htSpace + n, IndexSize: n}
	var tail, head [htSpace]byte
	ht.marshal(&tail)
	ht.Flags = flagHeader | flagDataFile
	ht.marshal(&head)
	size := int64(htSpace + n + 4*n + htSpace)
	src := claimingReaderAt{size: size, head: head[:], tail: tail[:]}
	var err error
	got := heapAllocated(func() { _, err = Open(src, size, "claim.zfile") })
	if err == nil || !strings.Contains(err.Error(), "read index") {
		t.Fatalf("err = %v, want the failed index read", err)
	}
	if got > 8<<20 {
		t.Fatalf("Open allocated %d bytes for a source holding 1 KiB", got)
	}
}

// claimingReaderAt holds a header and a trailer and claims size bytes; every other read fails
// short, as a blob shorter than its stated size does.
type claimingReaderAt struct {
	size       int64
	head, tail []byte
}

func (c claimingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	switch {
	case off == 0:
		return copy(p, c.head), nil
	case off == c.size-htSpace:
		return copy(p, c.tail), nil
	}
	return 0, errors.New("short blob")
}
