package zfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds are small valid files: both codecs, CRC on and off, 4 and 64 KiB blocks, a short
// last block, an empty file and a tar-wrapped one. The data compresses well, so each file is
// about a kilobyte and mutations land in the header, index and trailer, not in block bytes.
func fuzzSeeds(t testing.TB) map[string][]byte {
	src := bytes.Repeat([]byte("overlaybd zfile "), 4200/16+1)
	copy(src[4090:], randomBytes(20, 77)) // a little incompressible data across the block boundary
	seeds := map[string][]byte{}
	for _, o := range []Options{
		{Algorithm: LZ4, BlockSize: 4 << 10},
		{Algorithm: LZ4, BlockSize: 4 << 10, NoVerify: true},
		{Algorithm: Zstd, BlockSize: 4 << 10},
		{Algorithm: Zstd, BlockSize: 64 << 10, NoVerify: true},
		{Algorithm: LZ4, BlockSize: 64 << 10},
	} {
		seeds[fmt.Sprintf("%v-%dk-verify%v", o.Algorithm, o.BlockSize>>10, !o.NoVerify)] = mustCompress(t, src, o)
	}
	seeds["empty"] = mustCompress(t, nil, Options{})
	var tarred memFile
	tw := NewTarWriterAt(&tarred)
	w, err := NewWriter(tw, Options{Algorithm: Zstd})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(src[:600])
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tw.Finish(w.Size()); err != nil {
		t.Fatal(err)
	}
	seeds["tar-zstd"] = tarred.Bytes()
	return seeds
}

var updateFuzzSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite testdata/fuzz/FuzzOpen/seed-* from fuzzSeeds")

// TestUpdateFuzzSeeds writes the seeds into the checked-in corpus when asked to.
func TestUpdateFuzzSeeds(t *testing.T) {
	if !*updateFuzzSeeds {
		t.Skip("run with -update-fuzz-seeds to rewrite the seed corpus")
	}
	for _, target := range []string{"FuzzOpen", "FuzzOpenResealed"} {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range fuzzSeeds(t) {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nuint32(%d)\nuint16(%d)\n", b, 5000, 4096)
			if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// strictReaderAt fails the test on any read outside [0, len(b)).
type strictReaderAt struct {
	t *testing.T
	b []byte
}

func (s strictReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(s.b)) || int64(len(p)) > int64(len(s.b))-off {
		s.t.Fatalf("read of %d bytes at %d outside the %d-byte file", len(p), off, len(s.b))
	}
	return bytes.NewReader(s.b).ReadAt(p, off)
}

// FuzzOpen opens arbitrary bytes as a ZFile and reads from it. It must never panic, never
// read outside the file, keep memory proportional to the file's own size (not to a size
// field), and fail only with the package's error kinds.
func FuzzOpen(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b, uint32(5000), uint16(4096))
	}
	f.Fuzz(fuzzOpenAndRead)
}

// FuzzOpenResealed is FuzzOpen with every checksum recomputed before opening: mutations that
// would only break a digest or CRC reach the structural checks and the decoders instead.
func FuzzOpenResealed(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b, uint32(5000), uint16(4096))
	}
	f.Fuzz(func(t *testing.T, data []byte, off uint32, n uint16) {
		fixChecksums(data)
		fuzzOpenAndRead(t, data, off, n)
	})
}

// fixChecksums rewrites, as far as the bytes allow, the digests, the index CRC and the block
// CRCs of a ZFile at the start of data.
func fixChecksums(data []byte) {
	if len(data) < 2*htSpace || !IsZFile(data) {
		return
	}
	le := binary.LittleEndian
	head := (*[htSpace]byte)(data[:htSpace])
	tail := (*[htSpace]byte)(data[len(data)-htSpace:])
	ht := tail
	if le.Uint64(head[offFlags:])&flagHeaderOverwrite != 0 {
		ht = head
	}
	ioff, n := le.Uint64(ht[offIndexOffset:]), le.Uint64(ht[offIndexSize:])
	if ioff <= uint64(len(data)) && n <= (uint64(len(data))-ioff)/4 {
		idx := data[ioff : ioff+4*n]
		if ht[offVerify] == 1 {
			off := uint64(htSpace)
			for i := range n {
				l := uint64(le.Uint32(idx[4*i:]))
				if l < 4 || off+l > ioff {
					break
				}
				le.PutUint32(data[off+l-4:], blockCRC(data[off:off+l-4]))
				off += l
			}
		}
		c := crcRaw(0, idx)
		le.PutUint32(head[offIndexCRC:], c)
		le.PutUint32(tail[offIndexCRC:], c)
	}
	le.PutUint32(head[offDigest:], headerDigest(head))
	le.PutUint32(tail[offDigest:], headerDigest(tail))
}

func fuzzOpenAndRead(t *testing.T, data []byte, off uint32, n uint16) {
	{
		r, err := Open(strictReaderAt{t, data}, int64(len(data)), "fuzz")
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotZFile) && !errors.Is(err, ErrNotSupported) {
				t.Fatalf("Open: error of no known kind: %v", err)
			}
			return
		}
		// What Open keeps is bounded by the file: at most one block per 5 stored bytes.
		if r.jt.bytes() > 2*len(data)+64 {
			t.Fatalf("jump table of %d bytes for a %d-byte file", r.jt.bytes(), len(data))
		}
		check := func(err error) {
			if err != nil && err != io.EOF && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("read: error of no known kind: %v", err)
			}
		}
		buf := make([]byte, n)
		_, err = r.ReadAt(buf, int64(off)%(r.Size()+1))
		check(err)
		_, err = r.ReadAt(buf, max(0, r.Size()-int64(n)/2))
		check(err)
		// The io_uring path: the extent must lie inside the file.
		at := int64(off) % (r.Size() + 1)
		fo, k := r.StoredExtent(at, len(buf))
		if fo < 0 || int64(k) > int64(len(data))-fo {
			t.Fatalf("StoredExtent(%d, %d) = %d+%d, outside the %d-byte file", at, len(buf), fo, k, len(data))
		}
		_, err = r.DecodeAt(buf, at, data[fo:fo+int64(k)])
		check(err)
		if r.Size() <= 256<<10 {
			check(r.Verify(nil))
		}
	}
}
