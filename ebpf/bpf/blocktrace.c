// SPDX-License-Identifier: (MIT OR GPL-2.0)
//
// Block request capture for dadi. Two raw tracepoint programs on the block layer: at
// block_rq_issue a request is remembered (keyed by its address, so concurrent requests at the
// same sector or flushes never collide); at its final block_rq_complete one event goes out
// through a ring buffer with the latency. Raw tracepoints need neither tracefs nor the
// "tracing" program type (fentry/tp_btf), which some kernels lack; CO-RE relocations against the
// running kernel's BTF find the fields of struct request wherever that kernel put them.

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// Only the fields read here; preserve_access_index makes every access a CO-RE relocation.
struct gendisk {
	int major;
	int first_minor;
} __attribute__((preserve_access_index));

struct request_queue {
	struct gendisk *disk;
} __attribute__((preserve_access_index));

struct request {
	struct request_queue *q;
	unsigned int cmd_flags;
	unsigned int __data_len;
	unsigned long long __sector;
} __attribute__((preserve_access_index));

#define REQ_OP_MASK 0xff
#define COMM_LEN 16

// event is what user space reads; its layout is mirrored by the generated Go type.
struct event {
	__u64 ts_ns;      // issue time, CLOCK_MONOTONIC
	__u64 latency_ns; // issue to final completion
	__u64 sector;     // 512-byte sectors
	__u32 bytes;
	__u32 dev; // kernel dev_t: major << 20 | minor
	__u32 pid; // thread group of the issuing context
	__u8 op;   // REQ_OP_* of the request
	__u8 error; // blk_status_t at completion, 0 = ok
	__u8 pad[2];
	char comm[COMM_LEN];
};

struct start {
	__u64 ts_ns;
	__u64 sector;
	__u32 bytes;
	__u32 dev;
	__u32 pid;
	__u8 op;
	__u8 pad[3];
	char comm[COMM_LEN];
};

// Counters, per CPU so the programs never contend: events sent, events lost because the ring
// buffer was full, requests lost because the in-flight table was full.
enum { CNT_SENT, CNT_LOST_RING, CNT_LOST_INFLIGHT, CNT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); // user space may resize before load
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct start);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

// Filters, set by user space before load. target_dev 0 traces every device.
const volatile __u32 target_dev = 0;
const volatile __u8 filter_comm = 0;
const volatile char want_comm[COMM_LEN] = {};
// Wake the reader only once this many bytes wait in the ring (0: on every event). At hundreds of
// thousands of requests a second, a wake-up per event costs the traced workload more CPU than
// the programs do; the reader also polls with a short deadline, so a quiet device's events still
// arrive.
const volatile __u64 wakeup_bytes = 0;

// Keep the event type in the object so bpf2go can generate its Go twin.
const struct event *unused_event __attribute__((unused));

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);
	if (c)
		*c += 1;
}

static __always_inline __u32 request_dev(struct request *rq)
{
	struct gendisk *disk = BPF_CORE_READ(rq, q, disk);
	if (!disk)
		return 0;
	__u32 major = BPF_CORE_READ(disk, major);
	__u32 minor = BPF_CORE_READ(disk, first_minor);
	return major << 20 | minor;
}

static __always_inline int comm_matches(const char *comm)
{
#pragma unroll
	for (int i = 0; i < COMM_LEN; i++) {
		if (comm[i] != want_comm[i])
			return 0;
		if (comm[i] == 0)
			return 1;
	}
	return 1;
}

SEC("raw_tracepoint/block_rq_issue")
int block_rq_issue(struct bpf_raw_tracepoint_args *ctx)
{
	struct request *rq = (struct request *)ctx->args[0];
	__u32 dev = request_dev(rq);
	if (target_dev && dev != target_dev)
		return 0;

	struct start s = {};
	bpf_get_current_comm(s.comm, sizeof(s.comm));
	if (filter_comm && !comm_matches(s.comm))
		return 0;
	s.ts_ns = bpf_ktime_get_ns();
	s.sector = BPF_CORE_READ(rq, __sector);
	s.bytes = BPF_CORE_READ(rq, __data_len);
	s.op = BPF_CORE_READ(rq, cmd_flags) & REQ_OP_MASK;
	s.dev = dev;
	s.pid = bpf_get_current_pid_tgid() >> 32;

	__u64 key = (__u64)rq;
	if (bpf_map_update_elem(&inflight, &key, &s, BPF_ANY))
		count(CNT_LOST_INFLIGHT);
	return 0;
}

// block_rq_complete(struct request *rq, blk_status_t error, unsigned int nr_bytes) fires once
// per partial completion; only the last one (nr_bytes covering what is left) ends the request.
SEC("raw_tracepoint/block_rq_complete")
int block_rq_complete(struct bpf_raw_tracepoint_args *ctx)
{
	struct request *rq = (struct request *)ctx->args[0];
	__u64 key = (__u64)rq;
	struct start *s = bpf_map_lookup_elem(&inflight, &key);
	if (!s)
		return 0;
	__u32 nr_bytes = (__u32)ctx->args[2];
	__u32 left = BPF_CORE_READ(rq, __data_len);
	if (nr_bytes < left)
		return 0;

	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(CNT_LOST_RING);
		bpf_map_delete_elem(&inflight, &key);
		return 0;
	}
	e->ts_ns = s->ts_ns;
	e->latency_ns = bpf_ktime_get_ns() - s->ts_ns;
	e->sector = s->sector;
	e->bytes = s->bytes;
	e->dev = s->dev;
	e->pid = s->pid;
	e->op = s->op;
	e->error = (__u8)ctx->args[1];
	e->pad[0] = 0;
	e->pad[1] = 0;
	__builtin_memcpy(e->comm, s->comm, COMM_LEN);
	__u64 flags = 0;
	if (wakeup_bytes)
		flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(e, flags);
	bpf_map_delete_elem(&inflight, &key);
	count(CNT_SENT);
	return 0;
}
