package fetch

import (
	"bytes"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// FuzzCacheIndex feeds a blob's index file from elsewhere (a damaged disk, another version,
// an attacker with the cache directory): opening and reading through it never panics and
// never allocates by what the file claims, and a hit always returns bytes that match the CRC
// a valid record gave for them.
func FuzzCacheIndex(f *testing.F) {
	const blockSize = 4096
	var good bytes.Buffer
	for blk := int64(0); blk < 3; blk++ {
		var b [recordSize]byte
		data := bytes.Repeat([]byte{byte('a' + blk)}, blockSize)
		record{kind: recordPut, block: blk, len: blockSize, crc: crc32.Checksum(data, castagnoli)}.marshal(&b)
		good.Write(b[:])
	}
	var rm [recordSize]byte
	record{kind: recordRemove, block: 1}.marshal(&rm)
	f.Add(good.Bytes(), int64(0))
	f.Add(append(good.Bytes(), rm[:]...), int64(1))
	f.Add(good.Bytes()[:40], int64(2))
	f.Fuzz(func(t *testing.T, index []byte, probe int64) {
		dir := t.TempDir()
		c, err := OpenCache(dir, 1<<20, blockSize)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		hex := testDigestHex(1)
		if err := os.MkdirAll(filepath.Dir(c.blobPath(hex, ".blocks")), 0o755); err != nil {
			t.Fatal(err)
		}
		var blocks bytes.Buffer
		for blk := 0; blk < 3; blk++ {
			blocks.Write(bytes.Repeat([]byte{byte('a' + blk)}, blockSize))
		}
		if err := os.WriteFile(c.blobPath(hex, ".blocks"), blocks.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(c.blobPath(hex, ".index"), index, 0o644); err != nil {
			t.Fatal(err)
		}
		p := make([]byte, 512)
		for _, blk := range []int64{0, 1, 2, probe, -probe} {
			if c.Get(hex, blk, p, 0) {
				if blk < 0 || blk > 2 || !bytes.Equal(p, bytes.Repeat([]byte{byte('a' + blk)}, len(p))) {
					t.Fatalf("block %d: a hit with bytes the cache never held", blk)
				}
			}
		}
		if u := c.Usage(); u < 0 {
			t.Fatalf("usage %d", u)
		}
	})
}

// TestCacheIndexReadInChunks: a blob index that claims 256 MiB (a hole, as a damaged or
// foreign file may be) is read in bounded pieces; memory does not follow its size.
func TestCacheIndexReadInChunks(t *testing.T) {
	dir := t.TempDir()
	c, err := OpenCache(dir, 1<<20, 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hex := testDigestHex(2)
	if err := os.MkdirAll(filepath.Dir(c.blobPath(hex, ".blocks")), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.blobPath(hex, ".blocks"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.blobPath(hex, ".index"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(c.blobPath(hex, ".index"), 256<<20); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if c.Get(hex, 0, make([]byte, 512), 0) {
		t.Fatal("a hit from an index of zeros")
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Fatalf("reading a 256 MiB index allocated %d bytes", got)
	}
}
