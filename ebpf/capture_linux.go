package ebpf

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

// DefaultRingBytes is the ring buffer size: 256 Ki events of 64 bytes (event and ring header),
// about a second of a fast NVMe disk if the reader stalls.
const DefaultRingBytes = 16 << 20

// pollEvery bounds how long an event waits in the ring when the kernel does not wake the
// reader (see wakeup_bytes in bpf/blocktrace.c).
const pollEvery = 50 * time.Millisecond

// Options select what a capture records.
type Options struct {
	Target    Target // Target.Dev 0 traces every device
	Comm      string // only requests issued by this command name (at most 15 bytes)
	RingBytes int    // ring buffer size, a power of two; DefaultRingBytes when 0
}

// Stats are a capture's counts.
type Stats struct {
	Events       uint64 // delivered to the caller
	LostRing     uint64 // the ring buffer was full
	LostInflight uint64 // the in-flight table was full at issue
	// LostRecursion counts program runs the kernel skipped because a BPF program was already
	// running on that CPU (a completion interrupt arriving during the issue program): the
	// kernel's recursion_misses of both programs, Linux 5.12+.
	LostRecursion uint64
	Other         uint32 // requests of other kinds, not traced
	Unfinished    uint64 // issued but not complete when the capture stopped
}

// Lost is every event the kernel could not deliver.
func (s Stats) Lost() uint64 { return s.LostRing + s.LostInflight + s.LostRecursion }

// Capture is a loaded and attached block trace.
type Capture struct {
	o     Options
	objs  blocktraceObjects
	links []link.Link
	rd    *ringbuf.Reader
	mono  uint64 // CLOCK_MONOTONIC at start, the zero of Event.Time
	comms map[[16]byte]string
	Start time.Time // wall clock at start
}

// Start loads the programs with the filters set and attaches them.
func Start(o Options) (*Capture, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	if len(o.Comm) > 15 {
		return nil, fmt.Errorf("--comm %q: the kernel keeps at most 15 bytes of a command name", o.Comm)
	}
	if o.RingBytes == 0 {
		o.RingBytes = DefaultRingBytes
	}
	if o.RingBytes < os.Getpagesize() || o.RingBytes&(o.RingBytes-1) != 0 {
		return nil, fmt.Errorf("ring buffer of %d bytes: want a power of two of at least a page", o.RingBytes)
	}
	// Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK.
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("raising RLIMIT_MEMLOCK for BPF maps: %w", err)
	}
	spec, err := loadBlocktrace()
	if err != nil {
		return nil, err
	}
	spec.Maps[blocktraceMapEvents].MaxEntries = uint32(o.RingBytes)
	var comm [16]byte
	copy(comm[:], o.Comm)
	for name, v := range map[string]any{
		blocktraceVarTargetDev:   uint32(o.Target.Dev),
		blocktraceVarFilterComm:  uint8(min(len(o.Comm), 1)),
		blocktraceVarWantComm:    comm,
		blocktraceVarWakeupBytes: uint64(o.RingBytes / 8),
	} {
		if err := spec.Variables[name].Set(v); err != nil {
			return nil, fmt.Errorf("setting %s: %w", name, err)
		}
	}
	c := &Capture{o: o}
	if err := spec.LoadAndAssign(&c.objs, nil); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("the kernel refused the block trace programs: %+v", ve)
		}
		return nil, fmt.Errorf("loading the block trace programs: %w", err)
	}
	if c.rd, err = ringbuf.NewReader(c.objs.Events); err != nil {
		c.objs.Close()
		return nil, err
	}
	c.Start, c.mono = time.Now(), monotonicNow()
	for _, p := range []struct {
		tp   string
		prog *ebpf.Program
	}{{"block_rq_issue", c.objs.BlockRqIssue}, {"block_rq_complete", c.objs.BlockRqComplete}} {
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: p.tp, Program: p.prog})
		if err != nil {
			c.close()
			return nil, fmt.Errorf("attaching to tracepoint block:%s: %w", p.tp, err)
		}
		c.links = append(c.links, l)
	}
	return c, nil
}

func monotonicNow() uint64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint64(ts.Nano())
}

// Run delivers events to emit until ctx ends, then stops the capture: it detaches issue, gives
// requests in flight up to drain to complete, detaches completion, delivers what is left in the
// ring and closes everything. The returned Stats hold the kernel's lost counts. If emit fails,
// the capture stops the same way and Run returns emit's error.
func (c *Capture) Run(ctx context.Context, drain time.Duration, emit func(*Event) error) (Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var st Stats
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		c.links[0].Close() // issue: nothing new enters
		for t := time.Now(); time.Since(t) < drain && c.inflight() > 0; {
			time.Sleep(5 * time.Millisecond)
		}
		c.links[1].Close()
		c.rd.Flush() // ReadInto returns what is in the ring, then ErrFlushed
	}()
	var rec ringbuf.Record
	var ev Event
	var runErr error
	c.rd.SetDeadline(time.Now().Add(pollEvery))
	for {
		err := c.rd.ReadInto(&rec)
		if errors.Is(err, ringbuf.ErrFlushed) {
			break
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			c.rd.SetDeadline(time.Now().Add(pollEvery))
			continue
		}
		if err != nil {
			runErr = err
			cancel()
			break
		}
		if runErr != nil {
			continue // drain the ring until the flush, delivering nothing more
		}
		if !c.decode(rec.RawSample, &ev) {
			st.Other++
			continue
		}
		if !c.o.Target.clip(&ev) {
			continue
		}
		if err := emit(&ev); err != nil {
			runErr = err
			cancel()
			continue
		}
		st.Events++
	}
	<-stopped
	st.Unfinished = c.inflight()
	cnt, err := c.counters()
	st.LostRing, st.LostInflight = cnt[1], cnt[2]
	for _, p := range []*ebpf.Program{c.objs.BlockRqIssue, c.objs.BlockRqComplete} {
		ps, perr := p.Stats()
		if perr != nil {
			err = errors.Join(err, fmt.Errorf("reading BPF program stats: %w", perr))
			continue
		}
		st.LostRecursion += ps.RecursionMisses
	}
	c.close()
	if runErr == nil {
		runErr = err
	}
	return st, runErr
}

// decode fills ev from a ring buffer sample (the C struct event, see bpf/blocktrace.c).
func (c *Capture) decode(p []byte, ev *Event) bool {
	if len(p) < FileRecordSize {
		return false
	}
	le := binary.LittleEndian
	ts := le.Uint64(p[0:])
	ev.Time = 0
	if ts > c.mono {
		ev.Time = ts - c.mono
	}
	ev.Latency, ev.Sector = le.Uint64(p[8:]), le.Uint64(p[16:])
	ev.Bytes, ev.Dev, ev.PID = le.Uint32(p[24:]), Dev(le.Uint32(p[28:])), le.Uint32(p[32:])
	ev.Error = p[37]
	ev.Comm = c.comm(p[40:56])
	op, ok := opFromKernel(p[36])
	ev.Op = op
	return ok
}

// comm returns the command name in b, interned: a trace holds few distinct names and the
// reader must not allocate per event.
func (c *Capture) comm(b []byte) string {
	var k [16]byte
	copy(k[:], b)
	if s, ok := c.comms[k]; ok {
		return s
	}
	s := cString(b)
	if c.comms == nil {
		c.comms = map[[16]byte]string{}
	}
	c.comms[k] = s
	return s
}

// inflight counts requests issued but not yet complete.
func (c *Capture) inflight() uint64 {
	var k uint64
	var v blocktraceStart
	var n uint64
	it := c.objs.Inflight.Iterate()
	for it.Next(&k, &v) {
		n++
	}
	return n
}

// counters sums the per-CPU counters.
func (c *Capture) counters() ([3]uint64, error) {
	var out [3]uint64
	for i := range out {
		var per []uint64
		if err := c.objs.Counters.Lookup(uint32(i), &per); err != nil {
			return out, fmt.Errorf("reading BPF counters: %w", err)
		}
		for _, v := range per {
			out[i] += v
		}
	}
	return out, nil
}

func (c *Capture) close() {
	for _, l := range c.links {
		l.Close()
	}
	if c.rd != nil {
		c.rd.Close()
	}
	c.objs.Close()
}
