package fetch

import (
	"os"
	"testing"
)

// An index record that claims a block longer than the cache's block size (a damaged or foreign
// index file) is ignored: reading that block is a miss, not a slice past the read buffer.
func TestCacheRecordLongerThanBlockIgnored(t *testing.T) {
	dir := t.TempDir()
	const hex = "ab00000000000000000000000000000000000000000000000000000000000000"
	c, err := OpenCache(dir, 1<<30, 16384)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Put(hex, 0, make([]byte, 16384)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	var b [recordSize]byte
	record{kind: recordPut, block: 1, len: 1 << 20, crc: 0}.marshal(&b)
	f, err := os.OpenFile(c.blobPath(hex, ".index"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(b[:])
	f.Close()

	c, err = OpenCache(dir, 1<<30, 16384)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Get(hex, 1, make([]byte, 100), 0) {
		t.Fatal("a record of 1 MiB in a 16 KiB cache was served")
	}
	if !c.Get(hex, 0, make([]byte, 100), 0) {
		t.Fatal("the valid block beside it was lost")
	}
	if u := c.Usage(); u != 16384 {
		t.Fatalf("usage %d, want the one valid block", u)
	}
}
