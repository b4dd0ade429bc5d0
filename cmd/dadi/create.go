package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dadi-dev/dadi/internal/units"
	"github.com/dadi-dev/dadi/lsmt"
)

func newCreateCmd() *cobra.Command {
	var (
		sparse       bool
		uuid, parent string
	)
	cmd := &cobra.Command{
		Use:   "create [--sparse] [--uuid U] [--parent-uuid P] DATA INDEX SIZE",
		Short: "Create a new writable layer (as overlaybd-create does)",
		Long: `Create a new writable LSMT layer: DATA and INDEX, or with --sparse one sparse DATA file
(INDEX then only carries the header). SIZE is the virtual disk size: a bare number is GiB, as
overlaybd-create takes it; with a suffix (512K, 100M, 1G, 2T) it is that many bytes. It is a
multiple of 512 bytes, from 512 to 4096P (2^62 bytes).
Existing files are never overwritten.`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			size, err := parseVirtualSize(args[2])
			if err != nil {
				return err
			}
			o := lsmt.CreateOptions{VirtualSize: size, UUID: uuid, ParentUUID: parent, Sparse: sparse}
			if err := lsmt.CreateRW(args[0], args[1], o); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created %s, %s: %s virtual disk\n", args[0], args[1], units.Format(size))
			return nil
		},
	}
	cmd.Flags().BoolVar(&sparse, "sparse", false, "one sparse data file (data of sector s at 4096 + s*512)")
	cmd.Flags().StringVar(&uuid, "uuid", "", "layer uuid (default: random)")
	cmd.Flags().StringVarP(&parent, "parent-uuid", "u", "", "uuid of the layer below (default: none)")
	return cmd
}
