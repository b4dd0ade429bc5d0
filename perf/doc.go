// Package perf runs fio tuning matrices against dadi devices and writes what they found: the
// raw fio JSON, results.csv, report.md and SVG plots. `dadi bench` is its command line.
//
// A matrix file lists, one per line, a knob and the values to try:
//
//	# comment
//	rw:       randread randwrite   # randread randwrite read write mixed (randrw, 70% reads)
//	bs:       4k 64k               # fio block size, 512 to 16M
//	iodepth:  1 32 128             # fio iodepth, 1 to 4096
//	numjobs:  1                    # fio numjobs, 1 to 256
//	queues:   1 2                  # dadi serve --queues
//	depth:    128                  # dadi serve --depth (requests in flight per queue)
//	pin:      on off 0-1           # on: the kernel's queue affinity; off: no pinning; a CPU list
//	codec:    raw lz4              # raw: serve the source itself; none, lz4, zstd: an image
//	zfile_bs: 4k 16k 64k           # ZFile block size of lz4/zstd images, 4k to 64k
//
// Values are separated by spaces. Settings take exactly one value: runtime (fio's measured
// time, e.g. 5s), ramp (unmeasured warm-up before it), image_size (the data images are built
// from when the source has no bytes of its own, e.g. --null) and reference (on or off). A
// knob left out takes its default (`dadi bench --help` lists them). The matrix is every
// combination of the knobs' values; zfile_bs multiplies only the lz4 and zstd entries.
//
// Every dadi entry is paired with the same fio job on a kernel reference device in the same
// run: null_blk for a null source, the loop driver (direct I/O) over the same bytes for files
// and images. The report puts the ratio beside every figure, because absolute numbers (in a VM
// above all) say little on their own.
package perf
