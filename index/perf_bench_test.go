package index

import (
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// The workload of overlaybd's index benchmark (lsmt_test, Perf cases): perfOps random ranges,
// offset uniform in [0, 32 Mi - 128) sectors and length uniform in 1..64 sectors, inserted
// into the writable index; as many random ranges of the same distribution looked up in it;
// then the read-only index built from the result and as many lookups on that.
const (
	perfOps   = 1 << 20
	perfSpace = 32<<20 - 128
)

type perfRange struct{ off, n uint64 }

func perfRanges(seed uint64) []perfRange {
	r := rand.New(rand.NewPCG(seed, 0x15e7))
	rs := make([]perfRange, perfOps)
	for i := range rs {
		rs[i] = perfRange{uint64(r.IntN(perfSpace)), 1 + uint64(r.IntN(64))}
	}
	return rs
}

// threadCPU is the CPU time of the calling OS thread. On a machine shared with other work,
// wall time measures the neighbours too; the benchmark reports both.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// perfBatch is how many ranges the batched read-only phase hands LookupBatch per call: a
// chunk of a trace being mapped, say.
const perfBatch = 256

// BenchmarkLSMTPerf runs the whole workload once per iteration and reports each phase in
// seconds (insert-s, rw-lookup-s, ro-build-s, ro-lookup-s, and ro-total-s = build + lookups),
// and the allocations of the lookup phases together (lookup-allocs, which must be 0). The
// read-only lookups run twice: one Lookup call per range as overlaybd's benchmark does
// (ro-lookup-s), then the same ranges through LookupBatch, perfBatch per call
// (ro-batch-lookup-s, ro-batch-total-cpu-s = build + batched lookups): that figure is the
// batched API's throughput, for callers that have many ranges at once.
func BenchmarkLSMTPerf(b *testing.B) {
	ins, rw, ro := perfRanges(1), perfRanges(2), perfRanges(3)
	// Phase times, wall and thread CPU, summed over iterations.
	var wall, cpu [5]time.Duration
	roRanges := make([]Range, len(ro))
	for i, x := range ro {
		roRanges[i] = Range{x.off, x.n}
	}
	ends := make([]int, perfBatch)
	var lookupAllocs uint64
	segs := 0
	var bytesPerSeg float64
	dst := make([]Extent, 0, 4*perfBatch)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	phase := func(k int, f func()) {
		w0, c0 := time.Now(), threadCPU()
		f()
		wall[k] += time.Since(w0)
		cpu[k] += threadCPU() - c0
	}
	lookups := func(k int, look func(off, n uint64, dst []Extent) []Extent, rs []perfRange) {
		a0 := mallocs()
		phase(k, func() {
			for _, x := range rs {
				dst = look(x.off, x.n, dst[:0])
			}
		})
		lookupAllocs += mallocs() - a0
	}
	b.ReportAllocs()
	for b.Loop() {
		runtime.GC()
		var m *Mutable
		phase(0, func() {
			m = NewMutable(nil)
			moff := uint64(0)
			for _, x := range ins {
				m.Insert(NewSegment(x.off, x.n, moff, false, 0))
				moff += x.n
			}
		})
		bytesPerSeg = float64(m.memBytes()) / float64(m.Len())
		lookups(1, m.Lookup, rw)
		var st *Static
		phase(2, func() { st = m.Static() })
		lookups(3, st.Lookup, ro)
		// The same lookups through LookupBatch, perfBatch ranges per call.
		a0 := mallocs()
		phase(4, func() {
			for i := 0; i < len(roRanges); i += perfBatch {
				dst = st.LookupBatch(roRanges[i:min(i+perfBatch, len(roRanges))], dst[:0], ends)
			}
		})
		lookupAllocs += mallocs() - a0
		segs = st.Len()
	}
	n := float64(b.N)
	for k, name := range []string{"insert", "rw-lookup", "ro-build", "ro-lookup"} {
		b.ReportMetric(wall[k].Seconds()/n, name+"-s")
		b.ReportMetric(cpu[k].Seconds()/n, name+"-cpu-s")
	}
	b.ReportMetric((wall[2]+wall[3]).Seconds()/n, "ro-total-s")
	b.ReportMetric((cpu[2]+cpu[3]).Seconds()/n, "ro-total-cpu-s")
	b.ReportMetric(wall[4].Seconds()/n, "ro-batch-lookup-s")
	b.ReportMetric(cpu[4].Seconds()/n, "ro-batch-lookup-cpu-s")
	b.ReportMetric((cpu[2]+cpu[4]).Seconds()/n, "ro-batch-total-cpu-s")
	b.ReportMetric(float64(lookupAllocs)/n, "lookup-allocs")
	b.ReportMetric(float64(segs), "segments")
	b.ReportMetric(bytesPerSeg, "index-B/seg")
}

// memBytes is the memory of the Mutable's nodes, in the tree or free, with their arrays.
func (m *Mutable) memBytes() int {
	const nodeHeader = 8 + 3*24
	leaves, inners := 0, 0
	var rec func(n *node)
	rec = func(n *node) {
		if n.isLeaf() {
			leaves++
			return
		}
		inners++
		for _, k := range n.kids {
			rec(k)
		}
	}
	rec(m.root.Load())
	leaves += len(m.w.free[0])
	inners += len(m.w.free[1])
	return leaves*(nodeHeader+leafCap*EntrySize) + inners*(nodeHeader+innerCap*16)
}
