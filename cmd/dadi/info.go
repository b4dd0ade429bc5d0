package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/dadi-dev/dadi/index"
	"github.com/dadi-dev/dadi/internal/units"
	"github.com/dadi-dev/dadi/lsmt"
)

func newInfoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "info LAYER | info DATA INDEX",
		Short: "Show an LSMT layer's header fields, segment count and mapped bytes",
		Long: `Show a layer: a read-only LSMT file (plain, ZFile or tar-wrapped; its header and trailer),
or a writable layer given as DATA INDEX (or a sparse DATA alone).`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			if len(args) == 2 || isSparse(args[0]) {
				idx := ""
				if len(args) == 2 {
					idx = args[1]
				}
				return infoWritable(w, args[0], idx)
			}
			l, err := lsmt.OpenLayerFile(args[0])
			if err != nil {
				return err
			}
			defer l.Close()
			fmt.Fprintf(w, "file:          %s\n", args[0])
			wrap := "none"
			switch {
			case l.Tar && l.ZFile != nil:
				wrap = "tar(zfile)"
			case l.Tar:
				wrap = "tar"
			case l.ZFile != nil:
				wrap = "zfile"
			}
			fmt.Fprintf(w, "wrapping:      %s\n", wrap)
			if z := l.ZFile; z != nil {
				zi := z.Info()
				fmt.Fprintf(w, "zfile:         %s, %d-byte blocks, crc %v, %d bytes -> %d\n", zi.Algorithm, zi.BlockSize, zi.Verify, zi.Size, zi.FileSize)
			}
			printHeader(w, "header", l.Header)
			printHeader(w, "trailer", l.Trailer)
			printIndex(w, l.Index.Segments())
			return nil
		},
	}
}

// isSparse reports whether path is a sparse writable layer (one file, no index to ask for).
func isSparse(path string) bool {
	kind, err := lsmt.FileKind(path)
	return err == nil && kind == lsmt.KindSparse
}

func infoWritable(w io.Writer, data, idx string) error {
	up, err := lsmt.OpenUpper(data, idx, false)
	if err != nil {
		return err
	}
	defer up.Close()
	fmt.Fprintf(w, "file:          %s %s\n", data, idx)
	switch u := up.(type) {
	case *lsmt.RWLayer:
		fmt.Fprintf(w, "kind:          writable, append-only\n")
		printHeader(w, "header", u.Header)
		if u.Dropped > 0 {
			fmt.Fprintf(w, "torn entries:  %d (dropped)\n", u.Dropped)
		}
	case *lsmt.SparseLayer:
		fmt.Fprintf(w, "kind:          writable, sparse (%d-byte file system blocks)\n", u.BlockSize)
		printHeader(w, "header", u.Header)
	}
	printIndex(w, up.Segments())
	return nil
}

func printHeader(w io.Writer, what string, h lsmt.Header) {
	fmt.Fprintf(w, "%s:\n", what)
	fmt.Fprintf(w, "  flags:       %#x\n", h.Flags)
	fmt.Fprintf(w, "  index:       offset %d, %d entries\n", h.IndexOffset, h.IndexSize)
	fmt.Fprintf(w, "  virtual:     %d bytes (%s)\n", h.VirtualSize, units.Format(int64(h.VirtualSize)))
	fmt.Fprintf(w, "  uuid:        %s\n", h.UUID)
	fmt.Fprintf(w, "  parent uuid: %s\n", h.ParentUUID)
	fmt.Fprintf(w, "  version:     %d.%d\n", h.Version, h.SubVersion)
	if h.UserTag != "" {
		fmt.Fprintf(w, "  user tag:    %q\n", h.UserTag)
	}
}

func printIndex(w io.Writer, segs []index.Segment) {
	var mapped, zeroed uint64
	for _, s := range segs {
		if s.Zeroed() {
			zeroed += s.Length()
		} else {
			mapped += s.Length()
		}
	}
	fmt.Fprintf(w, "segments:      %d\n", len(segs))
	fmt.Fprintf(w, "mapped bytes:  %d\n", mapped*lsmt.SectorSize)
	fmt.Fprintf(w, "zeroed bytes:  %d\n", zeroed*lsmt.SectorSize)
}
