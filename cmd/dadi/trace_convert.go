package main

import (
	"fmt"

	"github.com/dadi-dev/dadi/ebpf"
	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/internal/atomicfile"
	"github.com/dadi-dev/dadi/prefetch"
	"github.com/spf13/cobra"
)

func newTraceConvertCmd() *cobra.Command {
	var config string
	cmd := &cobra.Command{
		Use:   "convert --config CONFIG.json DEVICE-TRACE OUT",
		Short: "Turn a device trace of an image's device into an overlaybd prefetch trace",
		Long: `Map the successful reads of a device trace (taken on the device that serves the image
of CONFIG.json) through the image's merged index to the layer blobs that hold them, and write
overlaybd's prefetch trace format to OUT: a recordTracePath that dadi and overlaybd replay.
OUT may not be the device trace, CONFIG.json or a file of the image.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			inputs, err := engine.ConfigFiles(config)
			if err != nil {
				return err
			}
			inputs = append(inputs, args[0])
			if err := atomicfile.Check(args[1:], inputs); err != nil {
				return err
			}
			f, err := ebpf.ReadFile(args[0])
			if err != nil {
				return err
			}
			if f.Lost > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s lost %d events; the prefetch trace misses their reads\n", args[0], f.Lost)
			}
			img, err := engine.OpenImage(config, engine.OpenOptions{ReadOnly: true})
			if err != nil {
				return err
			}
			defer img.Close()
			var reads []prefetch.DeviceRead
			for i, e := range f.Events {
				if err := e.Check(i); err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				if e.Offset()+int64(e.Bytes) > img.Size() {
					return fmt.Errorf("%s: %w: event %d (%c of %d bytes at sector %d) ends past the %d-byte image", args[0], ebpf.ErrBadEvent, i, e.Op, e.Bytes, e.Sector, img.Size())
				}
				if e.Op == ebpf.OpRead && e.Error == 0 && e.Bytes > 0 {
					reads = append(reads, prefetch.DeviceRead{Offset: e.Offset(), Length: int64(e.Bytes)})
				}
			}
			recs, err := prefetch.TraceFromReads(img, reads)
			if err != nil {
				return err
			}
			if err := atomicfile.WriteFile(args[1], prefetch.EncodeTrace(recs), 0o644, inputs...); err != nil {
				return err
			}
			var bytes uint64
			for _, r := range recs {
				bytes += r.Count
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d device reads -> %d records (%d bytes of %d layer blobs) in %s\n",
				len(reads), len(recs), bytes, len(img.Lowers()), args[1])
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "the image's config.v1.json")
	cmd.MarkFlagRequired("config")
	return cmd
}
