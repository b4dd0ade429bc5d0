//go:build vm

package engine

import (
	"testing"

	"github.com/dadi-dev/dadi/internal/vmtest"
)

// BenchmarkVMRandWriteSteady measures whether random writes slow down as the writable index
// grows: 60 s of fio 4 KiB random writes (iodepth 32) on a 64 GiB writable image, so nearly
// every write is a new segment, and the median IOPS of the last 10 s over that of the first
// 10 s (last10/first10; the issue asks for at least 0.8). Under emulation on a busy host the
// ratio also measures the neighbours, so it is a benchmark figure, never a test's assertion.
// Each iteration takes a minute; run it once:
//
//	make bench-vm-randwrite
func BenchmarkVMRandWriteSteady(b *testing.B) {
	vmtest.RequireUblk(b)
	var ratio, iops, writes float64
	n := 0
	for b.Loop() {
		r := randWrite(b, b.TempDir(), 64<<30, "--norandommap")
		w := r.res.Jobs[0].Write
		b.Logf("%.0f IOPS, %d writes; median first 10 s %.0f, last 10 s %.0f; per second: %v",
			w.IOPS, w.TotalIOs, r.first, r.last, r.samples)
		ratio += r.last / r.first
		iops += w.IOPS
		writes += float64(w.TotalIOs)
		n++
	}
	b.ReportMetric(ratio/float64(n), "last10/first10")
	b.ReportMetric(iops/float64(n), "IOPS")
	b.ReportMetric(writes/float64(n), "writes")
}
