package fetch

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func testDigestHex(i int) string {
	s := sha256.Sum256([]byte("blob" + strconv.Itoa(i)))
	return hex.EncodeToString(s[:])
}

// blockContent is what the test puts in block n of blob d: derived from both, so a block
// read under the wrong name is noticed.
func blockContent(d string, n int64, size int) []byte {
	b := make([]byte, size)
	seed := sha256.Sum256([]byte(d + "/" + strconv.FormatInt(n, 10)))
	for i := range b {
		b[i] = seed[i%32] ^ byte(i/32)
	}
	return b
}

func TestCacheRoundTripAndReopen(t *testing.T) {
	dir := t.TempDir()
	c, err := OpenCache(dir, 1<<20, 4096)
	if err != nil {
		t.Fatal(err)
	}
	d := testDigestHex(1)
	for n := int64(0); n < 10; n++ {
		if err := c.Put(d, n, blockContent(d, n, 4096-int(n))); err != nil {
			t.Fatal(err)
		}
	}
	p := make([]byte, 100)
	if !c.Get(d, 3, p, 50) || !bytes.Equal(p, blockContent(d, 3, 4093)[50:150]) {
		t.Fatal("block 3 not read back")
	}
	if c.Get(d, 9, make([]byte, 100), 4000) {
		t.Fatal("a read past a short block's end hit")
	}
	if c.Get(d, 10, p, 0) || c.Get(testDigestHex(2), 3, p, 0) {
		t.Fatal("a block never stored hit")
	}
	// A restart finds every block, with its size counted.
	c2, err := OpenCache(dir, 1<<20, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Usage() != c.Usage() || c2.Usage() == 0 {
		t.Fatalf("reopened cache counts %d bytes, the first %d", c2.Usage(), c.Usage())
	}
	if !c2.Get(d, 7, p, 0) || !bytes.Equal(p, blockContent(d, 7, 4089)[:100]) {
		t.Fatal("block 7 not found after reopening")
	}
	// A different block size is a different cache.
	c3, err := OpenCache(dir, 1<<20, 8192)
	if err != nil {
		t.Fatal(err)
	}
	if c3.Get(d, 3, p, 0) {
		t.Fatal("an 8 KiB cache returned a 4 KiB block")
	}
}

// A block file that does not verify is a miss, and is removed.
func TestCacheCorruptBlockIsMiss(t *testing.T) {
	dir := t.TempDir()
	c, _ := OpenCache(dir, 1<<20, 4096)
	d := testDigestHex(1)
	for n := int64(0); n < 4; n++ {
		c.Put(d, n, blockContent(d, n, 4096))
	}
	data, idx := c.blobPath(d, ".blocks"), c.blobPath(d, ".index")
	flipByte(t, data, 0*4096+100)     // block 0: a data byte
	flipByte(t, idx, 1*recordSize+20) // block 1: its record's CRC field
	punch(t, data, 2*4096)            // block 2: a hole, as another process's eviction leaves
	// Block 3 stays good.
	// As after a power loss: a new process opens the cache and checks each block it reads.
	c, _ = OpenCache(dir, 1<<20, 4096)
	for n := range int64(3) {
		if c.Get(d, n, make([]byte, 10), 0) {
			t.Errorf("damaged block %d hit", n)
		}
	}
	if !c.Get(d, 3, make([]byte, 10), 0) {
		t.Error("the good block missed")
	}
	if c.Corrupt.Load() != 2 {
		t.Fatalf("%d corrupt blocks counted, want 2 (the bad record is just absent)", c.Corrupt.Load())
	}
	// A block that failed its check stays gone for the next process too.
	c, _ = OpenCache(dir, 1<<20, 4096)
	if c.Get(d, 0, make([]byte, 10), 0) || c.Corrupt.Load() != 0 {
		t.Fatal("a dropped block came back")
	}
}

func punch(t *testing.T, p string, off int64) {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	punchHole(f, off, 4096)
}

func flipByte(t *testing.T, p string, off int64) {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := []byte{0}
	f.ReadAt(b, off)
	b[0] ^= 0xff
	f.WriteAt(b, off)
}

// Filling past the limit evicts the least recently used blocks and stays under the limit,
// on disk as well as in the count.
func TestCacheEviction(t *testing.T) {
	dir := t.TempDir()
	const bs, limit = 4096, 256 << 10
	c, _ := OpenCache(dir, limit, bs)
	d := testDigestHex(1)
	hot := int64(0)
	for n := int64(0); n < 400; n++ {
		if err := c.Put(d, n, blockContent(d, n, bs)); err != nil {
			t.Fatal(err)
		}
		// Block 0 is read all along: it must survive.
		if !c.Get(d, hot, make([]byte, 10), 0) {
			t.Fatalf("hot block evicted after %d fills", n)
		}
		c.Wait()
	}
	c.Wait()
	if u := c.Usage(); u > limit {
		t.Fatalf("usage %d over the limit %d", u, limit)
	}
	if onDisk := du(t, c.Dir()); onDisk > limit {
		t.Fatalf("%d bytes on disk, over the limit %d", onDisk, limit)
	}
	if c.Evictions.Load() == 0 {
		t.Fatal("nothing evicted")
	}
	// The newest blocks are there, the oldest cold ones are not.
	if !c.Get(d, 399, make([]byte, 10), 0) || c.Get(d, 5, make([]byte, 10), 0) {
		t.Fatal("eviction did not follow recency")
	}
	// A cache reopened with a smaller limit shrinks at once.
	c2, _ := OpenCache(dir, 64<<10, bs)
	if u := du(t, c2.Dir()); u > 64<<10 {
		t.Fatalf("reopened with a 64 KiB limit: %d bytes on disk", u)
	}
}

func du(t *testing.T, dir string) int64 {
	var n int64
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() && strings.HasSuffix(p, ".blocks") {
			n += info.Sys().(*syscall.Stat_t).Blocks * 512 // allocated, not apparent, size
		}
		return nil
	})
	return n
}

// The crash test: a child process fills the cache as fast as it can and is killed with
// SIGKILL mid-fill, several times over; then every block the cache has must verify and hold
// exactly what was written.
func TestCacheSIGKILLDuringFills(t *testing.T) {
	if os.Getenv("DADI_CACHE_FILLER") != "" {
		cacheFiller()
		return
	}
	dir := t.TempDir()
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCacheSIGKILLDuringFills$", "-test.count=1")
		cmd.Env = append(os.Environ(), "DADI_CACHE_FILLER="+dir, "DADI_CACHE_ROUND="+strconv.Itoa(round))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(150+50*round) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("filler was not killed mid-fill (%v): %s", err, out.String())
		}
	}
	c, err := OpenCache(dir, 1<<30, 16384)
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for hex, cb := range c.blobs {
		for blk, e := range cb.entries {
			p := make([]byte, e.len)
			if !c.Get(hex, blk, p, 0) {
				t.Fatalf("block %s/%d does not verify", hex[:8], blk)
			}
			if !bytes.Equal(p, blockContent(hex, blk, int(e.len))) {
				t.Fatalf("block %s/%d holds the wrong bytes", hex[:8], blk)
			}
			blocks++
		}
	}
	if blocks < 10 {
		t.Fatalf("only %d blocks filled before the kills", blocks)
	}
	t.Logf("%d blocks verified after 4 SIGKILLs", blocks)
}

func cacheFiller() {
	c, err := OpenCache(os.Getenv("DADI_CACHE_FILLER"), 1<<30, 16384)
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	round, _ := strconv.Atoi(os.Getenv("DADI_CACHE_ROUND"))
	for i := 0; ; i++ {
		d := testDigestHex(round*1000 + i/64)
		n := int64(i % 64)
		c.Put(d, n, blockContent(d, n, 16384-int(n)*7))
	}
}
