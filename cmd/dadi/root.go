package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"
)

// globalFlags are the flags every subcommand understands.
type globalFlags struct {
	verbose bool
}

func newRootCmd() *cobra.Command {
	var g globalFlags
	root := &cobra.Command{
		Use:           "dadi",
		Short:         "Serve container and VM images as Linux block devices (ublk)",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			level := slog.LevelInfo
			if g.verbose {
				level = slog.LevelDebug
			}
			slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
		},
	}
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "log debug detail (negotiated flags, queue/CPU placement)")
	// One line per command family; each lives in its own file.
	root.AddCommand(newServeCmd(), newListCmd(), newStopCmd(), newFeaturesCmd())
	root.AddCommand(newZfileCmd())
	root.AddCommand(newCreateCmd(), newCommitCmd(), newInfoCmd(), newMergeCmd())
	root.AddCommand(newPullCmd())
	root.AddCommand(newBenchCmd())
	root.AddCommand(newTraceCmd())
	return root
}
