package main

import (
	"fmt"
	"strings"

	"github.com/dadi-dev/dadi/ublk"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

func newFeaturesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "features",
		Short: "Show what the running kernel's ublk driver supports",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctrl, err := ublk.OpenControl()
			if err != nil {
				return err
			}
			defer ctrl.Close()
			var u unix.Utsname
			unix.Uname(&u)
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "kernel:   %s\n", unix.ByteSliceToString(u.Release[:]))
			enc := "legacy opcodes"
			if ctrl.IoctlEncoded() {
				enc = "ioctl-encoded"
			}
			fmt.Fprintf(out, "commands: %s\n", enc)
			if ctrl.Features() == 0 {
				fmt.Fprintln(out, "features: unknown (kernel predates GET_FEATURES)")
				return nil
			}
			fmt.Fprintf(out, "features: %#x\n  %s\n", ctrl.Features(), strings.Join(ublk.FeatureNames(ctrl.Features()), "\n  "))
			return nil
		},
	}
}
