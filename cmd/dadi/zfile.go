package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/dadi-dev/dadi/internal/atomicfile"
	"github.com/dadi-dev/dadi/zfile"
)

func newZfileCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "zfile",
		Short: "Compress, decompress and check ZFiles (overlaybd's random-access compressed files)",
	}
	cmd.AddCommand(newZfileCompressCmd(), newZfileDecompressCmd(), newZfileInfoCmd(), newZfileVerifyCmd())
	return cmd
}

func newZfileCompressCmd() *cobra.Command {
	var (
		algo     string
		bs       string
		noVerify bool
		level    int
		workers  int
		tarred   bool
	)
	cmd := &cobra.Command{
		Use:   "compress [--algorithm lz4|zstd] [--bs SIZE] [--no-verify] SRC DST",
		Short: "Compress SRC into the ZFile DST (as overlaybd-zfile does; blocks on all cores)",
		Long: `Compress SRC into the ZFile DST. The file is laid out as overlaybd-commit -z lays it out
(header rewritten with the index fields); with LZ4 at the default level its blocks are
byte-for-byte those overlaybd writes.

--bs takes a size: a bare number below 1024 is KiB (as overlaybd-zfile's --bs), otherwise
bytes; the suffixes k, K, KB and KiB mean KiB. Block sizes are powers of two from 4 to 64 KiB.
DST may not be SRC; it appears only once complete (an old DST stays if compression fails).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			alg, err := zfile.ParseAlgorithm(algo)
			if err != nil {
				return err
			}
			size, err := parseZfileBlockSize(bs)
			if err != nil {
				return err
			}
			if err := checkInt("--level", level, 0, 22); err != nil {
				return err
			}
			if err := checkInt("--workers", workers, 0, maxWorkers); err != nil {
				return err
			}
			opts := zfile.Options{Algorithm: alg, BlockSize: size, NoVerify: noVerify, Level: level, Workers: workers}
			return zfileCompress(cmd, args[0], args[1], opts, tarred)
		},
	}
	f := cmd.Flags()
	f.StringVar(&algo, "algorithm", "lz4", "codec: lz4 or zstd")
	f.StringVar(&bs, "bs", "4K", "block size, 4K to 64K")
	f.BoolVar(&noVerify, "no-verify", false, "leave out the per-block CRC (overlaybd's tools always write it)")
	f.IntVar(&level, "level", 0, "compression level, 0 to 22 (0: codec default, as overlaybd)")
	f.IntVar(&workers, "workers", 0, "compressing goroutines, 0 to 1024 (0: all CPUs)")
	f.BoolVarP(&tarred, "tar", "t", false, "wrap the ZFile in overlaybd's one-file tar (as overlaybd-commit -t)")
	return cmd
}

func zfileCompress(cmd *cobra.Command, srcPath, dstPath string, opts zfile.Options, tarred bool) (err error) {
	src, err := os.Open(srcPath)
	if err != nil {
		return err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return err
	}
	// DST is built beside itself and renamed into place at the end: SRC (or an old DST) is
	// never harmed, and DST may not be SRC.
	dst, err := atomicfile.Create(dstPath, 0o644, srcPath)
	if err != nil {
		return err
	}
	defer dst.Abort()
	bar := newZfileProgress(cmd, "compress", st.Size())
	res, err := zfile.CompressStream(dst, src, zfile.StreamOptions{Options: opts, Tar: tarred, Progress: bar.set})
	bar.done(err == nil)
	if err != nil {
		return err
	}
	if err := dst.Commit(); err != nil {
		return err
	}
	for _, msg := range res.Warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "dadi: warning: %s: %s\n", dstPath, msg)
	}
	size := res.Size
	ratio := 0.0
	if size > 0 {
		ratio = float64(res.RawSize) / float64(size)
	}
	verify := "CRC on"
	if opts.NoVerify {
		verify = "no CRC"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d bytes -> %s: %d bytes (ratio %.2f; %v, %d KiB blocks, %s)\n",
		srcPath, res.RawSize, dstPath, size, ratio, opts.Algorithm, opts.BlockSize>>10, verify)
	return nil
}

// openZfile opens path as a ZFile (also inside overlaybd's tar).
func openZfile(path string) (*os.File, *zfile.Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	r, err := zfile.Open(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, r, nil
}

func newZfileDecompressCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "decompress SRC DST",
		Short: "Decompress the ZFile SRC (or overlaybd's tar of one) into DST; DST - is stdout",
		Long: `Decompress the ZFile SRC into DST, checking every block's CRC. Runs of zeros are left
as holes in DST. DST "-" writes to standard output. DST may not be SRC; it appears only
once complete (an old DST stays if a block is bad).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[1] != "-" {
				if err := atomicfile.Check(args[1:], args[:1]); err != nil {
					return err
				}
			}
			f, r, err := openZfile(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			if args[1] == "-" {
				bar := newZfileProgress(cmd, "decompress", r.Size())
				_, err := zfile.DecompressTo(cmd.OutOrStdout(), r, zfile.DecompressOptions{Progress: bar.set})
				bar.done(err == nil)
				return err
			}
			return zfileDecompressFile(cmd, r, args[1])
		},
	}
}

// zfileDecompressFile decompresses r into the file dstPath on all CPUs, leaving zeros as holes.
func zfileDecompressFile(cmd *cobra.Command, r *zfile.Reader, dstPath string) (err error) {
	// Built beside DST and renamed into place at the end (the caller checked DST is not SRC).
	dst, err := atomicfile.Create(dstPath, 0o644)
	if err != nil {
		return err
	}
	defer dst.Abort()
	bar := newZfileProgress(cmd, "decompress", r.Size())
	err = zfile.DecompressToFile(dst, r, zfile.DecompressOptions{Progress: bar.set})
	bar.done(err == nil)
	if err != nil {
		return err
	}
	return dst.Commit()
}

func newZfileInfoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "info FILE",
		Short: "Show a ZFile's header and trailer fields, block count and compression ratio",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, r, err := openZfile(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			printZfileInfo(cmd.OutOrStdout(), r.Info())
			return nil
		},
	}
}

func printZfileInfo(w io.Writer, in zfile.Info) {
	p := func(k, format string, a ...any) {
		fmt.Fprintf(w, "%-15s "+format+"\n", append([]any{k + ":"}, a...)...)
	}
	p("file", "%s", in.Name)
	if in.TarWrapped {
		p("container", "overlaybd tar, ZFile at byte %d", in.PayloadOffset)
	}
	p("algorithm", "%v (level %d)", in.Algorithm, in.Level)
	p("block size", "%d", in.BlockSize)
	p("block CRC", "%s", map[bool]string{true: "yes (CRC32C after every block)", false: "no"}[in.Verify])
	p("blocks", "%d", in.Blocks)
	p("uncompressed", "%d bytes", in.Size)
	p("compressed", "%d bytes (ratio %.3f)", in.FileSize, in.Ratio())
	p("data", "%d bytes, largest stored block %d bytes", in.DataSize, in.MaxStored)
	p("index", "offset %d, CRC %#08x", in.IndexOffset, in.IndexCRC)
	p("header", "flags %#x (%s), digest %#08x", in.HeaderFlags, zfile.FlagNames(in.HeaderFlags), in.HeaderDigest)
	p("trailer", "flags %#x (%s), digest %#08x", in.TrailerFlags, zfile.FlagNames(in.TrailerFlags), in.TrailerDigest)
	p("jump table", "%d bytes in memory", in.JumpTableBytes)
	if in.OverlaybdUnreadable() {
		p("warning", "a block is stored in %d bytes, more than overlaybd's 64 KiB read buffer: "+
			"overlaybd cannot read this file (dadi can); recompress with a smaller block size", in.MaxStored)
	}
}

func newZfileVerifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify FILE",
		Short: "Check every block of a ZFile (CRC and decompression); report the first bad block",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, r, err := openZfile(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			in := r.Info()
			bar := newZfileProgress(cmd, "verify", r.Size())
			err = r.Verify(bar.set)
			bar.done(err == nil)
			var ce *zfile.CorruptError
			if errors.As(err, &ce) && ce.Block >= 0 {
				return fmt.Errorf("%s: bad block %d of %d (uncompressed offset %d, stored at file offset %d): %w",
					args[0], ce.Block, in.Blocks, int64(ce.Block)*int64(in.BlockSize), ce.Offset, err)
			}
			if err != nil {
				return err
			}
			what := "CRC and decompression checked"
			if !in.Verify {
				what = "no per-block CRC in this file; every block decompresses to its size"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok: %d blocks, %s\n", args[0], in.Blocks, what)
			return nil
		},
	}
}
