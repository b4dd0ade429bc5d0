package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/dadi-dev/dadi/perf"
)

type benchOptions struct {
	device, config, null, file string
	matrix, out, work          string
	allowWrite, dryRun         bool
}

func newBenchCmd() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench (--device DEV | --config CONFIG.json | --null SIZE | --file PATH) [--matrix FILE] -o DIR",
		Short: "Run a matrix of fio jobs on dadi devices and write a report with plots",
		Long: `Run fio over every combination of a matrix file's knobs, starting and stopping dadi devices
as the dadi knobs (queues, depth, pin, codec, zfile_bs) require, and the same fio jobs on a
kernel reference device (null_blk for --null, loop for files and images), then write into DIR:
fio/*.json (raw fio output), results.csv (one row per entry), references.csv, report.md and
SVG plots (IOPS vs iodepth, latency percentiles, a queues × depth heat map).

A matrix file has one "knob: value value ..." per line; # starts a comment. Keys:
` + perf.KnobHelp() + `
perf/quick.matrix (a few minutes), perf/full.matrix and perf/codec.matrix are ready to use.
Without --matrix every knob takes its default: one entry.

codec none/lz4/zstd builds an image (a read-only layer, compressed or not, under a fresh
writable layer) from the --file's bytes, or from image_size bytes of generated data with
--null. Write patterns on --file, --device or a --config upper need --allow-write.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runBench(cmd, &o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.device, "device", "", "benchmark this existing block device as it is")
	f.StringVar(&o.config, "config", "", "serve this overlaybd image config with dadi and benchmark it")
	f.StringVar(&o.null, "null", "", "serve a null device of this size (e.g. 1G; 512 to 4096P, a multiple of 512) with dadi and benchmark it")
	f.StringVar(&o.file, "file", "", "serve this file with dadi and benchmark it (reference: loop over it)")
	f.StringVar(&o.matrix, "matrix", "", "matrix file (default: every knob at its default)")
	f.StringVarP(&o.out, "out", "o", "", "directory for the report (created if missing)")
	f.StringVar(&o.work, "work", "", "make the scratch directory for images and data here, not in $TMPDIR (it is removed after)")
	f.BoolVar(&o.allowWrite, "allow-write", false, "let write patterns overwrite --file, --device or the --config upper")
	f.BoolVar(&o.dryRun, "dry-run", false, "check the matrix and list its entries without running anything")
	return cmd
}

func runBench(cmd *cobra.Command, o *benchOptions) error {
	m, err := loadMatrix(o.matrix)
	if err != nil {
		return err
	}
	src := perf.Source{Device: o.device, Config: o.config, File: o.file}
	if o.null != "" {
		if src.Null, err = parseFlagSize("--null", o.null, diskSize); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	opts := perf.Options{
		Matrix: m, Source: src, Out: o.out, Work: o.work, Dadi: self, Images: benchImages{},
		Progress: cmd.ErrOrStderr(), AllowWrite: o.allowWrite, Command: "dadi " + strings.Join(os.Args[1:], " "),
	}
	if o.dryRun {
		if err := perf.Check(&opts); err != nil {
			return err
		}
		for _, e := range m.Entries() {
			fmt.Fprintf(cmd.OutOrStdout(), "%4d  %-28s %s\n", e.ID, e.Daemon.Label(nil), e.Job)
		}
		return nil
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := perf.Run(ctx, opts); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "report: %s\n", strings.TrimSuffix(o.out, "/")+"/report.md")
	return nil
}

func loadMatrix(path string) (*perf.Matrix, error) {
	if path == "" {
		return perf.ParseMatrix(nil, "default matrix", "default")
	}
	return perf.LoadMatrix(path)
}
