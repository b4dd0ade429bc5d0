package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dadi-dev/dadi/internal/atomicfile"
	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/zfile"
)

// layerOutFlags are the output options shared by commit and merge.
type layerOutFlags struct {
	compress     bool
	algorithm    string
	bs           string
	tar          bool
	uuid, parent string
	message      string
}

func (f *layerOutFlags) register(fs *pflag.FlagSet) {
	fs.BoolVarP(&f.compress, "compress", "z", false, "write a ZFile (compressed, random access)")
	fs.StringVar(&f.algorithm, "algorithm", "lz4", "ZFile codec: lz4 or zstd")
	fs.StringVar(&f.bs, "bs", "4", "ZFile block size: 4 to 64 KiB (a bare number is KiB)")
	fs.BoolVarP(&f.tar, "tar", "t", false, "wrap the result in overlaybd's one-file tar")
	fs.StringVar(&f.uuid, "uuid", "", "uuid of the new layer")
	fs.StringVarP(&f.parent, "parent-uuid", "p", "", "uuid of the layer below (default: none)")
	fs.StringVarP(&f.message, "message", "m", "", "commit message (user tag, at most 255 bytes)")
}

func (f *layerOutFlags) options() (lsmt.CommitOptions, error) {
	o := lsmt.CommitOptions{UUID: f.uuid, ParentUUID: f.parent, UserTag: f.message, Compress: f.compress, Tar: f.tar}
	if f.compress {
		alg, err := zfile.ParseAlgorithm(f.algorithm)
		if err != nil {
			return o, err
		}
		bs, err := parseZfileBlockSize(f.bs)
		if err != nil {
			return o, err
		}
		o.ZFile = zfile.Options{Algorithm: alg, BlockSize: bs}
	}
	return o, nil
}

func report(cmd *cobra.Command, out string, r lsmt.CommitResult) {
	for _, w := range r.Warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d bytes, %d index entries\n", out, r.Size, r.Segments)
}

func newCommitCmd() *cobra.Command {
	var f layerOutFlags
	cmd := &cobra.Command{
		Use:   "commit [-z] [--algorithm lz4|zstd] [--bs SIZE] [-t] [--uuid U] [--parent-uuid P] DATA INDEX OUT",
		Short: "Commit a writable layer into a read-only layer (as overlaybd-commit does)",
		Long: `Compact the writable layer DATA + INDEX into the read-only LSMT layer OUT: its data packed in
disk order, a sorted index, header and trailer laid out byte for byte as overlaybd-commit
writes them. -z compresses it into a ZFile, -t wraps the result in overlaybd's tar.
The writable layer is only read; OUT may not be DATA or INDEX. OUT appears only once it is
complete (an old OUT is replaced then, and left as it was if the commit fails).`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options()
			if err != nil {
				return err
			}
			if err := atomicfile.Check(args[2:], args[:2]); err != nil {
				return err
			}
			up, err := lsmt.OpenUpper(args[0], args[1], false)
			if err != nil {
				return err
			}
			defer up.Close()
			if rw, ok := up.(*lsmt.RWLayer); ok && rw.Dropped > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s: %d torn index entries left out (the tail of an interrupted write)\n", args[1], rw.Dropped)
			}
			r, err := lsmt.Commit(up, args[2], o)
			if err != nil {
				return err
			}
			report(cmd, args[2], r)
			return nil
		},
	}
	f.register(cmd.Flags())
	return cmd
}
