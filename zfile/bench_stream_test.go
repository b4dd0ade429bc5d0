package zfile

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Whole-file compression and decompression, LZ4 with 4 KiB blocks and CRC (what
// `overlaybd-commit -z` writes), against the codec alone on the same blocks:
//
//   - "codec-1core" / "codec-all-cores": compress (or CRC-check and decode) every block from
//     memory into memory, on one goroutine or split evenly over GOMAXPROCS goroutines with no
//     hand-offs: the ceiling of any pipeline;
//   - "pipeline-discard": CompressStream / DecompressTo with output thrown away: the
//     pipeline's overhead over the ceiling (batching, hand-offs, copies);
//   - "pipeline-file": CompressStream / DecompressToFile from and to files in page cache, as
//     `dadi zfile compress|decompress` runs.
//
// The data is benchData (the Go toolchain's binaries, or $DADI_ZFILE_BENCH_DATA, e.g. the
// 256 MiB of shared objects the issue measures). Run with
//
//	go test -run '^$' -bench 'Stream' -benchmem ./zfile

var lz4Stream = Options{Algorithm: LZ4, BlockSize: 4 << 10}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loopWithCPU runs f b.Loop times and reports the CPU time each run took on all threads
// (cpu-ms/op): on a shared machine, wall time swings with the load, CPU time much less, and
// pipeline minus codec CPU time is the pipeline's overhead.
func loopWithCPU(b *testing.B, bytes int64, f func()) {
	b.SetBytes(bytes)
	b.ReportAllocs()
	start := cpuTime()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(n), "cpu-ms/op")
}

// benchTemp is a file in the benchmark directory, removed by TestMain with it.
func benchTemp(b *testing.B, name string, content []byte) string {
	benchFile(b, lz4Stream) // creates benchData.dir
	p := filepath.Join(benchData.dir, name)
	if content != nil {
		if err := os.WriteFile(p, content, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

// splitBlocks cuts raw into GOMAXPROCS runs of whole blocks.
func splitBlocks(raw []byte, bs int) [][]byte {
	n := runtime.GOMAXPROCS(0)
	per := (len(raw)/bs + n - 1) / n * bs
	var parts [][]byte
	for len(raw) > 0 {
		k := min(per, len(raw))
		parts = append(parts, raw[:k])
		raw = raw[k:]
	}
	return parts
}

// onAllCores runs f on each part in its own goroutine and waits.
func onAllCores(parts [][]byte, f func(part []byte, worker int)) {
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Go(func() { f(p, i) })
	}
	wg.Wait()
}

func BenchmarkCompressStream(b *testing.B) {
	raw := loadBenchData(b)
	bs := lz4Stream.BlockSize
	bound := compressBound(LZ4, bs) + 4
	codec := func(part []byte, e *encoder, out []byte) {
		for len(part) > 0 {
			blk := part[:min(bs, len(part))]
			part = part[len(blk):]
			n, err := e.encode(blk, out)
			if err != nil {
				panic(err)
			}
			binary.LittleEndian.PutUint32(out[n:], blockCRC(out[:n]))
		}
	}
	b.Run("codec-1core", func(b *testing.B) {
		e, _ := newEncoder(LZ4, 0)
		out := make([]byte, bound)
		loopWithCPU(b, int64(len(raw)), func() {
			codec(raw, e, out)
		})
	})
	b.Run("codec-all-cores", func(b *testing.B) {
		parts := splitBlocks(raw, bs)
		encs := make([]*encoder, len(parts))
		outs := make([][]byte, len(parts))
		for i := range parts {
			encs[i], _ = newEncoder(LZ4, 0)
			outs[i] = make([]byte, bound)
		}
		loopWithCPU(b, int64(len(raw)), func() {
			onAllCores(parts, func(p []byte, i int) { codec(p, encs[i], outs[i]) })
		})
	})
	b.Run("pipeline-discard", func(b *testing.B) {
		var out sizeWriterAt
		loopWithCPU(b, int64(len(raw)), func() {
			if _, err := CompressStream(&out, bytes.NewReader(raw), StreamOptions{Options: lz4Stream}); err != nil {
				b.Fatal(err)
			}
		})
		b.ReportMetric(float64(len(raw))/float64(out.size), "ratio")
	})
	b.Run("pipeline-file", func(b *testing.B) {
		src, err := os.Open(benchTemp(b, "stream.raw", raw))
		if err != nil {
			b.Fatal(err)
		}
		defer src.Close()
		dst, err := os.Create(benchTemp(b, "stream.zfile", nil))
		if err != nil {
			b.Fatal(err)
		}
		defer dst.Close()
		loopWithCPU(b, int64(len(raw)), func() {
			if _, err := src.Seek(0, io.SeekStart); err != nil {
				b.Fatal(err)
			}
			if err := dst.Truncate(0); err != nil {
				b.Fatal(err)
			}
			if _, err := CompressStream(dst, src, StreamOptions{Options: lz4Stream}); err != nil {
				b.Fatal(err)
			}
		})
	})
}

func BenchmarkDecompressStream(b *testing.B) {
	path := benchFile(b, lz4Stream)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	r, err := Open(f, st.Size(), path)
	if err != nil {
		b.Fatal(err)
	}
	// The stored blocks in memory, for the codec-only runs.
	stored := make([]byte, r.jt.offset(r.jt.blocks()))
	if err := r.readStored(stored, 0); err != nil {
		b.Fatal(err)
	}
	codec := func(first, end int, raw []byte) {
		base := r.jt.offset(0)
		for i := first; i < end; i++ {
			if err := r.decode(i, stored[r.jt.offset(i)-base:r.jt.offset(i+1)-base], raw[:r.rawLen(i)]); err != nil {
				panic(err)
			}
		}
	}
	b.Run("codec-1core", func(b *testing.B) {
		raw := make([]byte, MaxBlockSize)
		loopWithCPU(b, r.Size(), func() {
			codec(0, r.jt.blocks(), raw)
		})
	})
	b.Run("codec-all-cores", func(b *testing.B) {
		n := runtime.GOMAXPROCS(0)
		per := (r.jt.blocks() + n - 1) / n
		raws := make([][]byte, n)
		for i := range raws {
			raws[i] = make([]byte, MaxBlockSize)
		}
		loopWithCPU(b, r.Size(), func() {
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { codec(i*per, min((i+1)*per, r.jt.blocks()), raws[i]) })
			}
			wg.Wait()
		})
	})
	b.Run("pipeline-discard", func(b *testing.B) {
		loopWithCPU(b, r.Size(), func() {
			if _, err := DecompressTo(io.Discard, r, DecompressOptions{}); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("pipeline-file", func(b *testing.B) {
		dst, err := os.Create(benchTemp(b, "stream.out", nil))
		if err != nil {
			b.Fatal(err)
		}
		defer dst.Close()
		loopWithCPU(b, r.Size(), func() {
			if err := dst.Truncate(0); err != nil {
				b.Fatal(err)
			}
			if err := DecompressToFile(dst, r, DecompressOptions{}); err != nil {
				b.Fatal(err)
			}
		})
	})
}
