// Package ebpf captures block requests with eBPF and keeps them in dadi's device trace files.
//
// Two raw tracepoint programs (blocktrace.c, compiled by bpf2go; the generated Go and object
// files are committed) sit on the block layer's block_rq_issue and block_rq_complete
// tracepoints, filter by device (and optionally by command name) in the kernel, and send one
// event per finished request through a ring buffer: issue time, device, op, sector, length,
// latency, pid and comm. Events that cannot be sent are counted in the kernel and reported,
// never silently dropped. Raw tracepoints are used because they need neither tracefs nor the
// "tracing" program type that some kernels lack; CO-RE relocations against the running kernel's
// BTF find the request fields.
//
// A capture is written to a device trace file (File, Writer, ReadFile): a fixed header and
// fixed-size records. Mapping it to image layers and overlaybd's prefetch trace format is
// engine's job.
package ebpf
