package zfile

import (
	"encoding/binary"
	"fmt"
	"go/build"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"
)

// Benchmarks run on real binaries: the Go toolchain's own tools, concatenated to at least
// 64 MiB ($DADI_ZFILE_BENCH_DATA names another file; synthetic data when there are no
// binaries). Run them with
//
//	go test -run '^$' -bench . -benchmem ./zfile
//
// BenchmarkRandomRead's "ceiling" sub-benchmark is the codec alone: for the same random
// offsets it CRCs and decompresses the same stored blocks from memory, with no file read, no
// offset lookup and no copy-out. The "file" sub-benchmark is a Reader over an *os.File in
// page cache (one pread per ReadAt), "mmap" a Reader over the same file mapped in memory.

var benchData struct {
	once sync.Once
	raw  []byte
	dir  string
	mu   sync.Mutex
	zf   map[string]string // config -> compressed file path
}

func loadBenchData(b *testing.B) []byte {
	benchData.once.Do(func() {
		if p := os.Getenv("DADI_ZFILE_BENCH_DATA"); p != "" {
			raw, err := os.ReadFile(p)
			if err != nil {
				panic("DADI_ZFILE_BENCH_DATA: " + err.Error())
			}
			benchData.raw = raw
		} else {
			dir := filepath.Join(build.Default.GOROOT, "pkg", "tool", runtime.GOOS+"_"+runtime.GOARCH)
			names, _ := filepath.Glob(filepath.Join(dir, "*"))
			names = append(names, filepath.Join(build.Default.GOROOT, "bin", "go"))
			sort.Strings(names)
			for _, n := range names {
				if b, err := os.ReadFile(n); err == nil {
					benchData.raw = append(benchData.raw, b...)
				}
			}
		}
		if len(benchData.raw) == 0 {
			// No toolchain binaries (a stripped CI image): mixed synthetic data instead.
			benchData.raw = testData(64<<20, 1)
		}
		for len(benchData.raw) < 64<<20 {
			benchData.raw = append(benchData.raw, benchData.raw...)
		}
		benchData.zf = map[string]string{}
	})
	return benchData.raw
}

// benchFile returns the path of the benchmark data compressed with opts (made once per
// process, in a directory TestMain removes).
func benchFile(b *testing.B, opts Options) string {
	raw := loadBenchData(b)
	key := fmt.Sprintf("%v-%d-%v", opts.Algorithm, opts.BlockSize, opts.NoVerify)
	benchData.mu.Lock()
	defer benchData.mu.Unlock()
	if p, ok := benchData.zf[key]; ok {
		return p
	}
	if benchData.dir == "" {
		d, err := os.MkdirTemp("", "zfile-bench")
		if err != nil {
			b.Fatal(err)
		}
		benchData.dir = d
	}
	p := filepath.Join(benchData.dir, key+".zfile")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w, err := NewWriter(f, opts)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.Write(raw); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	benchData.zf[key] = p
	return p
}

func benchConfigs() []Options {
	return []Options{
		{Algorithm: LZ4, BlockSize: 4 << 10},
		{Algorithm: Zstd, BlockSize: 64 << 10},
		{Algorithm: LZ4, BlockSize: 64 << 10},
		{Algorithm: Zstd, BlockSize: 4 << 10},
	}
}

func configName(o Options) string { return fmt.Sprintf("%v-%dk", o.Algorithm, o.BlockSize>>10) }

// randomOffsets is the same sequence of 4 KiB-aligned offsets for every sub-benchmark.
func randomOffsets(size int64) []int64 {
	rng := rand.New(rand.NewPCG(1, 1))
	offs := make([]int64, 1<<16)
	for i := range offs {
		offs[i] = rng.Int64N(size/4096) * 4096
	}
	return offs
}

func BenchmarkRandomRead(b *testing.B) {
	for _, opts := range benchConfigs() {
		b.Run(configName(opts), func(b *testing.B) {
			path := benchFile(b, opts)
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			r, err := Open(f, st.Size(), path)
			if err != nil {
				b.Fatal(err)
			}
			offs := randomOffsets(r.Size())
			b.Run("ceiling", func(b *testing.B) { benchCeiling(b, r, path, offs) })
			b.Run("file", func(b *testing.B) { benchReader(b, r, offs) })
			m, err := mmapOpen(path)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			rm, err := Open(m, st.Size(), path)
			if err != nil {
				b.Fatal(err)
			}
			b.Run("mmap", func(b *testing.B) { benchReader(b, rm, offs) })
			b.Run("file-parallel", func(b *testing.B) { benchParallel(b, r, offs) })
			b.Run("mmap-parallel", func(b *testing.B) { benchParallel(b, rm, offs) })
		})
	}
}

// benchParallel reads from GOMAXPROCS goroutines at once, as ublk queues do.
func benchParallel(b *testing.B, r *Reader, offs []int64) {
	b.SetBytes(4096)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 4096)
		i := rand.IntN(len(offs))
		for pb.Next() {
			if _, err := r.ReadAt(buf, offs[i%len(offs)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func benchReader(b *testing.B, r *Reader, offs []int64) {
	buf := make([]byte, 4096)
	b.SetBytes(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := r.ReadAt(buf, offs[i%len(offs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRandomReadRatio alternates batches of 64 ceiling reads and 64 Reader reads over
// the same offsets, from an *os.File in page cache (one pread per ReadAt) or a mapping of it.
// Each pair of adjacent batches gives one ratio; the reported figures are medians over all
// pairs, so that bursts of load from other processes on the machine hit few pairs and move
// the medians little: ceiling-ns/read and reader-ns/read per 4 KiB read, and the Reader's
// throughput as a share of the ceiling's (pct-of-ceiling).
func BenchmarkRandomReadRatio(b *testing.B) {
	for _, opts := range benchConfigs() {
		for _, src := range []string{"file", "mmap"} {
			b.Run(configName(opts)+"/"+src, func(b *testing.B) {
				path := benchFile(b, opts)
				var ra interface {
					ReadAt([]byte, int64) (int, error)
				}
				st, err := os.Stat(path)
				if err != nil {
					b.Fatal(err)
				}
				if src == "file" {
					f, err := os.Open(path)
					if err != nil {
						b.Fatal(err)
					}
					defer f.Close()
					ra = f
				} else {
					m, err := mmapOpen(path)
					if err != nil {
						b.Fatal(err)
					}
					defer m.Close()
					ra = m
				}
				r, err := Open(ra, st.Size(), path)
				if err != nil {
					b.Fatal(err)
				}
				offs := randomOffsets(r.Size())
				ceil := newCeiling(b, r, path, offs)
				buf := make([]byte, 4096)
				const batch = 64
				var ceilNs, readNs, pct []float64
				b.SetBytes(4096)
				b.ReportAllocs()
				b.ResetTimer()
				i := 0
				for n := 0; n < b.N; n += batch {
					t0 := time.Now()
					for k := 0; k < batch; k++ {
						ceil.read(i + k)
					}
					t1 := time.Now()
					for k := 0; k < batch; k++ {
						if _, err := r.ReadAt(buf, offs[(i+k)%len(offs)]); err != nil {
							b.Fatal(err)
						}
					}
					t2 := time.Now()
					c, r := float64(t1.Sub(t0)), float64(t2.Sub(t1))
					ceilNs = append(ceilNs, c/batch)
					readNs = append(readNs, r/batch)
					pct = append(pct, 100*c/r)
					i += batch
				}
				b.StopTimer()
				b.ReportMetric(median(ceilNs), "ceiling-ns/read")
				b.ReportMetric(median(readNs), "reader-ns/read")
				b.ReportMetric(median(pct), "pct-of-ceiling")
			})
		}
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	return v[len(v)/2]
}

// ceiling holds the stored blocks the offsets fall in, in memory.
type ceiling struct {
	alg    Algorithm
	verify bool
	blocks [][]byte
	raw    []byte
}

func newCeiling(b *testing.B, r *Reader, path string, offs []int64) *ceiling {
	z, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	bs := int64(r.Info().BlockSize)
	c := &ceiling{alg: r.alg, verify: r.Info().Verify, raw: make([]byte, bs)}
	for _, off := range offs {
		bi := int(off / bs)
		c.blocks = append(c.blocks, z[r.blockFileOffset(bi):r.blockFileOffset(bi+1)])
	}
	return c
}

// read CRCs and decompresses the i-th offset's block: the codec's work and nothing else.
func (c *ceiling) read(i int) {
	s := c.blocks[i%len(c.blocks)]
	comp := s
	if c.verify {
		comp = s[:len(s)-4]
		if blockCRC(comp) != binary.LittleEndian.Uint32(s[len(comp):]) {
			panic("crc")
		}
	}
	if _, err := decodeBlock(c.alg, comp, c.raw); err != nil {
		panic(err)
	}
}

// benchCeiling does only the codec's work for the same reads: CRC and decompress each
// block the offsets fall in, from stored bytes already in memory.
func benchCeiling(b *testing.B, r *Reader, path string, offs []int64) {
	c := newCeiling(b, r, path, offs)
	b.SetBytes(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c.read(i)
	}
}

// BenchmarkDecompress reads the whole file sequentially in 1 MiB ReadAts, one goroutine.
func BenchmarkDecompress(b *testing.B) {
	for _, opts := range benchConfigs()[:2] {
		b.Run(configName(opts), func(b *testing.B) {
			path := benchFile(b, opts)
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			r, err := Open(f, st.Size(), path)
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 1<<20)
			b.SetBytes(r.Size())
			b.ReportAllocs()
			for b.Loop() {
				for off := int64(0); off < r.Size(); off += int64(len(buf)) {
					if _, err := r.ReadAt(buf, off); err != nil && off+int64(len(buf)) < r.Size() {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(r.Info().Ratio(), "ratio")
		})
	}
}

// sizeWriterAt discards what is written and remembers the file's size.
type sizeWriterAt struct{ size int64 }

func (s *sizeWriterAt) WriteAt(p []byte, off int64) (int, error) {
	s.size = max(s.size, off+int64(len(p)))
	return len(p), nil
}

// BenchmarkCompress compresses the data with all cores (GOMAXPROCS workers) and with one.
func BenchmarkCompress(b *testing.B) {
	for _, opts := range benchConfigs()[:2] {
		for _, workers := range []int{0, 1} {
			opts.Workers = workers
			name := configName(opts) + "/all-cores"
			if workers == 1 {
				name = configName(opts) + "/1-worker"
			}
			b.Run(name, func(b *testing.B) {
				raw := loadBenchData(b)
				b.SetBytes(int64(len(raw)))
				var out sizeWriterAt
				for b.Loop() {
					w, err := NewWriter(&out, opts)
					if err != nil {
						b.Fatal(err)
					}
					for off := 0; off < len(raw); off += 1 << 20 {
						if _, err := w.Write(raw[off:min(off+1<<20, len(raw))]); err != nil {
							b.Fatal(err)
						}
					}
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(raw))/float64(out.size), "ratio")
			})
		}
	}
}
