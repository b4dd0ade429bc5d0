package main

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/dadi-dev/dadi/ebpf"
	"github.com/dadi-dev/dadi/internal/atomicfile"
	"github.com/spf13/cobra"
)

type traceRecordOptions struct {
	dev      string
	duration time.Duration
	comm     string
	out      string
	ring     string
}

func newTraceRecordCmd() *cobra.Command {
	o := traceRecordOptions{}
	cmd := &cobra.Command{
		Use:   "record --dev DEVICE [--duration D] [--comm NAME] -o FILE",
		Short: "Capture the block requests of one device until the duration ends or Ctrl-C",
		Long: `Capture every request of a block device (a ublk device, a loop device, a disk or a
partition) with eBPF programs on the block layer's tracepoints: issue time, op, sector, length,
latency, pid and command name. Events the kernel could not deliver are counted and reported;
a capture that lost any is written but ends in an error; one that fails leaves FILE as it
was. FILE may not be the device. Needs root and a kernel with BPF and BTF.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runTraceRecord(cmd, &o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.dev, "dev", "", "block device path or MAJOR:MINOR to trace")
	f.DurationVar(&o.duration, "duration", 0, "stop after this long, up to 24h (default 0: until SIGINT/SIGTERM)")
	f.StringVar(&o.comm, "comm", "", "only requests issued by processes of this command name")
	f.StringVarP(&o.out, "output", "o", "", "device trace file to write")
	f.StringVar(&o.ring, "ring", "16M", "ring buffer size between kernel and dadi (a power of two, 4K to 1G)")
	cmd.MarkFlagRequired("dev")
	cmd.MarkFlagRequired("output")
	return cmd
}

// maxTraceDuration bounds --duration: a day of events is already more than a trace file
// should hold.
const maxTraceDuration = 24 * time.Hour

// errLostEvents makes the exit status say that the trace is incomplete.
type errLostEvents struct{ n uint64 }

func (e errLostEvents) Error() string {
	return fmt.Sprintf("%d events were lost: the trace is incomplete (a larger --ring helps)", e.n)
}

func runTraceRecord(cmd *cobra.Command, o *traceRecordOptions) error {
	if err := atomicfile.Check([]string{o.out}, []string{o.dev}); err != nil {
		return err
	}
	ring, err := parseFlagSize("--ring", o.ring, ringSpec)
	if err != nil {
		return err
	}
	if err := checkDuration("--duration", o.duration, 0, maxTraceDuration); err != nil {
		return err
	}
	target, err := ebpf.ResolveDevice(o.dev)
	if err != nil {
		return err
	}
	out, err := atomicfile.Create(o.out, 0o644, o.dev)
	if err != nil {
		return err
	}
	defer out.Abort()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	c, err := ebpf.Start(ebpf.Options{Target: target, Comm: o.comm, RingBytes: int(ring)})
	if err != nil {
		return err
	}
	w, err := ebpf.NewWriter(out.File, target.Dev, c.Start)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "tracing %s (%v); Ctrl-C to stop\n", o.dev, target.Dev)
	st, err := c.Run(ctx, time.Second, w.Write)
	if cerr := w.Close(st.Lost(), st.Other); err == nil {
		err = cerr
	}
	if err == nil {
		err = out.Commit()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%d events written to %s, %d lost (ring %d, table %d, recursion %d), %d other requests, %d unfinished at stop\n",
		st.Events, o.out, st.Lost(), st.LostRing, st.LostInflight, st.LostRecursion, st.Other, st.Unfinished)
	if st.Lost() > 0 {
		return errLostEvents{st.Lost()}
	}
	return nil
}
