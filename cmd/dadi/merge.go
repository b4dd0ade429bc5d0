package main

import (
	"github.com/spf13/cobra"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/internal/atomicfile"
)

func newMergeCmd() *cobra.Command {
	var f layerOutFlags
	cmd := &cobra.Command{
		Use:   "merge [-z] [--algorithm lz4|zstd] [--bs SIZE] [-t] [--uuid U] CONFIG OUT",
		Short: "Flatten the image of a config.v1.json into one read-only layer (as overlaybd-merge does)",
		Long: `Flatten every layer of the image CONFIG describes (lowers and, if any, the upper) into the
read-only LSMT layer OUT: the top layer wins, zeroed ranges stay zeroed. Laid out as
overlaybd-merge --compress=false writes it; -z makes a ZFile, -t wraps it in a tar.
OUT may not be CONFIG or any file of the image; it appears only once it is complete.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options()
			if err != nil {
				return err
			}
			inputs, err := engine.ConfigFiles(args[0])
			if err != nil {
				return err
			}
			if err := atomicfile.Check(args[1:], inputs); err != nil {
				return err
			}
			img, err := engine.OpenImage(args[0], engine.OpenOptions{ReadOnly: true})
			if err != nil {
				return err
			}
			defer img.Close()
			r, err := engine.Merge(img, args[1], o)
			if err != nil {
				return err
			}
			report(cmd, args[1], r)
			return nil
		},
	}
	f.register(cmd.Flags())
	return cmd
}
