package main

import "github.com/spf13/cobra"

// newTraceCmd groups the block trace commands: capture with eBPF, show, convert to overlaybd's
// prefetch trace.
func newTraceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trace",
		Short: "Capture block requests with eBPF, show them, turn them into prefetch traces",
	}
	cmd.AddCommand(newTraceRecordCmd(), newTraceShowCmd(), newTraceConvertCmd())
	return cmd
}
