package fetch

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/fetch/fetchtest"
)

var benchBlob struct {
	once sync.Once
	reg  *fetchtest.Registry
	p    pushed
}

// benchPushed is a 256 MiB blob in a registry that lives for the whole benchmark run.
func benchPushed(b *testing.B) pushed {
	benchBlob.once.Do(func() {
		// The registry must outlive the sub-benchmark that makes it.
		tb := &onceTB{TB: b}
		benchBlob.reg = fetchtest.New(tb, fetchtest.Options{DirectBlobs: true})
		benchBlob.p = pushRandom(tb, benchBlob.reg, "bench/blob", 256<<20, 99)
	})
	return benchBlob.p
}

// onceTB keeps a test registry running past the benchmark that started it.
type onceTB struct{ testing.TB }

func (onceTB) Cleanup(func()) {}

// BenchmarkColdRandom4K is cold random 4 KiB reads with 2 ms added to every request, from 32
// concurrent readers (what an I/O depth of 32 asks), with one request in flight at a time
// (serial) and with the default limit. Reported: MB/s of data read and the bytes fetched per
// byte read at the default 64 KiB cache block. Run with -benchtime=1000x or so: every read
// must be a miss.
func BenchmarkColdRandom4K(b *testing.B) {
	p := benchPushed(b)
	for _, inflight := range []int{1, DefaultGlobalConfig().FetchConfig.MaxInflight} {
		b.Run("inflight="+itoa(inflight), func(b *testing.B) {
			g := testConfig(b)
			g.CacheConfig.CacheSizeMB = 1024
			g.FetchConfig.MaxInflight = inflight
			c, _ := newTestClient(b, g, &fetchtest.Faults{Latency: 2 * time.Millisecond})
			blob := openBlob(b, c, p.ref)
			// Each read is in a cache block no read touched before: a random order of the
			// blob's 64 KiB blocks, a random 4 KiB inside each.
			bs := int64(c.Cache().BlockSize())
			order := rand.New(rand.NewPCG(5, 5)).Perm(len(p.data) / int(bs))
			if b.N > len(order) {
				b.Fatalf("at most %d cold reads (-benchtime=%dx)", len(order), len(order))
			}
			var next, seq atomic.Int64
			b.SetParallelism(16) // 16 × GOMAXPROCS readers
			b.SetBytes(4096)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				r := rand.New(rand.NewPCG(uint64(seq.Add(1)), 1))
				buf := make([]byte, 4096)
				for pb.Next() {
					off := int64(order[next.Add(1)-1])*bs + r.Int64N(bs/4096)*4096
					if _, err := blob.ReadAt(buf, off); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			s := blob.Stats()
			b.ReportMetric(float64(s.BytesFetched.Load())/float64(s.BytesRead.Load()), "fetched/read")
			b.ReportMetric(float64(s.CacheHits.Load()), "hits")
		})
	}
}

func itoa(n int) string {
	return string(rune('0'+n/10%10)) + string(rune('0'+n%10))
}

// BenchmarkCacheHit4K is the per-I/O path once a block is cached.
func BenchmarkCacheHit4K(b *testing.B) {
	reg := fetchtest.New(b, fetchtest.Options{})
	p := pushRandom(b, reg, "bench/hit", 1<<20, 98)
	c, _ := newTestClient(b, testConfig(b), nil)
	blob := openBlob(b, c, p.ref)
	buf := make([]byte, 4096)
	blob.ReadAt(buf, 0)
	b.ReportAllocs()
	b.SetBytes(4096)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := blob.ReadAt(buf, int64(i%16)*4096); err != nil {
			b.Fatal(err)
		}
	}
}
