package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

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
	var out io.WriterAt = dst
	var tw *zfile.TarWriterAt
	if tarred {
		tw = zfile.NewTarWriterAt(dst)
		out = tw
	}
	w, err := zfile.NewWriter(out, opts)
	if err != nil {
		return err
	}
	bar := newZfileProgress(cmd, "compress", st.Size())
	buf := make([]byte, 4<<20)
	var rerr error
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				rerr = werr
				break
			}
			bar.add(int64(n))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			rerr = fmt.Errorf("read %s: %w", srcPath, err)
			break
		}
	}
	cerr := w.Close() // also stops the workers after a read error
	bar.done(rerr == nil && cerr == nil)
	if rerr != nil {
		return rerr
	}
	if cerr != nil {
		return cerr
	}
	size := w.Size()
	if tw != nil {
		if err := tw.Finish(size); err != nil {
			return err
		}
	}
	if err := dst.Commit(); err != nil {
		return err
	}
	for _, msg := range w.Warnings() {
		fmt.Fprintf(cmd.ErrOrStderr(), "dadi: warning: %s: %s\n", dstPath, msg)
	}
	if tw != nil {
		size = zfileTarSize(size)
	}
	ratio := 0.0
	if size > 0 {
		ratio = float64(st.Size()) / float64(size)
	}
	verify := "CRC on"
	if opts.NoVerify {
		verify = "no CRC"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d bytes -> %s: %d bytes (ratio %.2f; %v, %d KiB blocks, %s)\n",
		srcPath, st.Size(), dstPath, size, ratio, opts.Algorithm, opts.BlockSize>>10, verify)
	return nil
}

// zfileTarSize is the size of overlaybd's one-file tar around a payload of n bytes: three header
// blocks, the payload padded to 512, two zero blocks.
func zfileTarSize(n int64) int64 { return 1536 + (n+511)/512*512 + 1024 }

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
				in := io.TeeReader(io.NewSectionReader(r, 0, r.Size()), bar)
				_, err := io.CopyBuffer(cmd.OutOrStdout(), in, make([]byte, 1<<20))
				bar.done(err == nil)
				return err
			}
			return zfileDecompressFile(cmd, r, args[1])
		},
	}
}

// zfileDecompressFile decompresses on all CPUs: each goroutine takes the next chunk, reads it
// (the Reader is safe for concurrent use) and writes it at its offset; zero chunks become holes.
func zfileDecompressFile(cmd *cobra.Command, r *zfile.Reader, dstPath string) (err error) {
	// Built beside DST and renamed into place at the end (the caller checked DST is not SRC).
	dst, err := atomicfile.Create(dstPath, 0o644)
	if err != nil {
		return err
	}
	defer dst.Abort()
	const chunk = 4 << 20
	size := r.Size()
	bar := newZfileProgress(cmd, "decompress", size)
	var (
		next    atomic.Int64
		errOnce sync.Once
		first   error
		failed  atomic.Bool
		wg      sync.WaitGroup
	)
	fail := func(e error) {
		errOnce.Do(func() { first = e })
		failed.Store(true)
	}
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			buf := make([]byte, chunk)
			for !failed.Load() {
				off := next.Add(chunk) - chunk
				if off >= size {
					return
				}
				n := int(min(chunk, size-off))
				if _, err := r.ReadAt(buf[:n], off); err != nil && err != io.EOF {
					fail(err)
					return
				}
				if err := zfileWriteSparse(dst, buf[:n], off); err != nil {
					fail(err)
					return
				}
				bar.add(int64(n))
			}
		})
	}
	wg.Wait()
	bar.done(first == nil)
	if first != nil {
		return first
	}
	if err := dst.Truncate(size); err != nil {
		return err
	}
	return dst.Commit()
}

// zfileHole is the granularity at which decompress leaves zeros unwritten.
const zfileHole = 64 << 10

// zfileWriteSparse writes b at off except for its all-zero 64 KiB pieces, which stay holes
// (the file is truncated to its full size at the end).
func zfileWriteSparse(dst io.WriterAt, b []byte, off int64) error {
	for start := 0; start < len(b); {
		// Skip zero pieces, then write the run of non-zero ones.
		for start < len(b) && zfileAllZero(b[start:min(start+zfileHole, len(b))]) {
			start += zfileHole
		}
		end := start
		for end < len(b) && !zfileAllZero(b[end:min(end+zfileHole, len(b))]) {
			end += zfileHole
		}
		end = min(end, len(b))
		if end > start {
			if _, err := dst.WriteAt(b[start:end], off+int64(start)); err != nil {
				return err
			}
		}
		start = end
	}
	return nil
}

func zfileAllZero(b []byte) bool {
	for len(b) >= 8 {
		if b[0]|b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7] != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
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
	p("header", "flags %#x (%s), digest %#08x", in.HeaderFlags, zfileFlagNames(in.HeaderFlags), in.HeaderDigest)
	p("trailer", "flags %#x (%s), digest %#08x", in.TrailerFlags, zfileFlagNames(in.TrailerFlags), in.TrailerDigest)
	p("jump table", "%d bytes in memory", in.JumpTableBytes)
	if in.OverlaybdUnreadable() {
		p("warning", "a block is stored in %d bytes, more than overlaybd's 64 KiB read buffer: "+
			"overlaybd cannot read this file (dadi can); recompress with a smaller block size", in.MaxStored)
	}
}

func zfileFlagNames(f uint64) string {
	var names []string
	for i, n := range []string{"header", "data", "sealed", "header rewritten", "digest", "index compressed"} {
		if f&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	if f&1 == 0 {
		names = append([]string{"trailer"}, names...)
	}
	return strings.Join(names, ", ")
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
			var last int64
			err = r.Verify(func(done int64) {
				bar.add(done - last)
				last = done
			})
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

// zfileProgress is a progress bar on stderr when stderr is a terminal and the job is long
// enough to be worth one; otherwise its methods do nothing.
type zfileProgress struct {
	p   *mpb.Progress
	bar *mpb.Bar
}

// zfileProgressMin is the smallest job that gets a bar.
const zfileProgressMin = 64 << 20

func newZfileProgress(cmd *cobra.Command, label string, total int64) *zfileProgress {
	f, ok := cmd.ErrOrStderr().(*os.File)
	if !ok || total < zfileProgressMin || !term.IsTerminal(int(f.Fd())) {
		return &zfileProgress{}
	}
	p := mpb.New(mpb.WithOutput(f), mpb.WithWidth(50))
	bar := p.AddBar(total,
		mpb.PrependDecorators(decor.Name(label+" "), decor.CountersKibiByte("% .1f / % .1f")),
		mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.AverageSpeed(decor.SizeB1024(0), " % .1f")),
	)
	return &zfileProgress{p: p, bar: bar}
}

func (z *zfileProgress) add(n int64) {
	if z.bar != nil {
		z.bar.IncrInt64(n)
	}
}

// Write lets the bar count bytes going through an io.TeeReader.
func (z *zfileProgress) Write(b []byte) (int, error) {
	z.add(int64(len(b)))
	return len(b), nil
}

func (z *zfileProgress) done(ok bool) {
	if z.bar == nil {
		return
	}
	if !ok {
		z.bar.Abort(false)
	}
	z.bar.SetTotal(-1, true)
	z.p.Wait()
}
