package main

import (
	"fmt"
	"io"
	"os"

	"github.com/dadi-dev/dadi/ebpf"
	"github.com/dadi-dev/dadi/prefetch"
	"github.com/spf13/cobra"
)

// maxBuckets bounds --buckets: each row is a counter per layer, and a person reads them.
const maxBuckets = min(ebpf.MaxHeatBuckets, prefetch.MaxTraceBuckets)

func newTraceShowCmd() *cobra.Command {
	var format string
	var events bool
	var buckets int
	cmd := &cobra.Command{
		Use:   "show [--format text|csv|json] FILE",
		Short: "Summarise a device trace or an overlaybd prefetch trace, or print every event",
		Long: `Show a trace file: a device trace from "dadi trace record" or an overlaybd prefetch
trace (from "dadi trace convert", a recordTracePath recording, or overlaybd itself).

text prints a summary (events, bytes, read/write mix, latency percentiles, a heat map of
offsets; --events adds every event); records whose offset or length lies outside int64 are
left out of the summary and counted; csv prints every event after a header row
(time_ns,dev,op,sector,bytes,latency_ns,pid,comm; for a prefetch trace op,layer,offset,bytes);
json prints the summary and every event.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkInt("--buckets", buckets, 0, maxBuckets); err != nil {
				return err
			}
			b, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if prefetch.IsTrace(b) {
				return showPrefetchTrace(w, b, args[0], format, buckets)
			}
			f, err := ebpf.ParseFile(b, args[0])
			if err != nil {
				return err
			}
			s := ebpf.Summarize(f, buckets)
			switch format {
			case "text":
				s.WriteText(w, f)
				if events {
					return ebpf.WriteEvents(w, f)
				}
				return nil
			case "csv":
				return ebpf.WriteCSV(w, f)
			case "json":
				return ebpf.WriteJSON(w, f, &s)
			}
			return fmt.Errorf("--format %q: want text, csv or json", format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text (summary), csv or json")
	cmd.Flags().BoolVar(&events, "events", false, "with --format text, also print every event")
	cmd.Flags().IntVar(&buckets, "buckets", 16, "rows of the heat map, 0 (none) to 4096")
	return cmd
}

// showPrefetchTrace prints an overlaybd trace: checked in full (magic, size, checksum) first.
func showPrefetchTrace(w io.Writer, b []byte, name, format string, buckets int) error {
	recs, err := prefetch.ParseTrace(b, name)
	if err != nil {
		return err
	}
	switch format {
	case "csv":
		fmt.Fprintln(w, "op,layer,offset,bytes")
		for _, r := range recs {
			fmt.Fprintf(w, "%c,%d,%d,%d\n", r.Op, r.Layer, r.Offset, r.Count)
		}
		return nil
	case "json":
		return prefetch.WriteTraceJSON(w, recs)
	case "text":
		prefetch.SummarizeTrace(recs).WriteText(w, buckets)
		return nil
	}
	return fmt.Errorf("--format %q: want text, csv or json", format)
}
