package zfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// Options configures a Writer. The zero value writes what `overlaybd-commit -z` writes:
// LZ4, 4 KiB blocks, a CRC after every block.
type Options struct {
	Algorithm Algorithm // LZ4 (default) or Zstd
	BlockSize int       // power of two, 4 KiB (default) to 64 KiB
	NoVerify  bool      // leave out the per-block CRC (no overlaybd tool does)
	// Level goes into the header's level byte. 0 is the codec default: LZ4_compress_default
	// (byte-identical to overlaybd's output) or zstd's level 3, as overlaybd uses. LZ4 1-9
	// selects LZ4 HC, zstd levels map onto klauspost/compress's four speeds.
	Level   int
	Workers int // compressing goroutines; default GOMAXPROCS
}

// batch is one job: a run of consecutive blocks, compressed by one worker.
type batch struct {
	raw  []byte   // input, a whole number of blocks except at the end
	out  []byte   // stored blocks, back to back
	lens []uint32 // stored length of each block
	err  error
	done chan struct{}
}

// Writer compresses a stream into a ZFile. Blocks are compressed by Options.Workers
// goroutines in parallel and written in order. Write and Close are not safe for concurrent
// use. Always call Close, also after an error: it stops the workers.
type Writer struct {
	dst   io.WriterAt
	opts  Options
	bs    int
	bound int // reserved output per block: compressBound + CRC + slack
	batch int // input bytes per batch (itemBytes)

	cur     *batch
	work    chan *batch // to workers
	order   chan *batch // to the sequencer, in submission order
	free    chan *batch
	nbatch  int // batches allocated so far
	maxb    int
	workers sync.WaitGroup
	seqDone chan struct{}

	// Owned by the sequencer goroutine until seqDone is closed.
	off       int64    // next write offset
	lengths   []uint32 // stored length of every block so far
	oversized []int    // blocks overlaybd cannot read back

	mu      sync.Mutex
	err     error // first error of any goroutine
	rawSize int64
	closed  bool
	size    int64 // of the finished file
}

// NewWriter starts a ZFile in dst: it writes a provisional header (no index fields, as
// overlaybd does) and starts the workers. Close finishes the file.
func NewWriter(dst io.WriterAt, opts Options) (*Writer, error) {
	if opts.Algorithm == 0 {
		opts.Algorithm = LZ4
	}
	if opts.Algorithm != LZ4 && opts.Algorithm != Zstd {
		return nil, fmt.Errorf("zfile: %w: algorithm %d", ErrNotSupported, opts.Algorithm)
	}
	if opts.BlockSize == 0 {
		opts.BlockSize = 4096
	}
	bs := opts.BlockSize
	if bs < MinBlockSize || bs > MaxBlockSize || bs&(bs-1) != 0 {
		return nil, fmt.Errorf("zfile: block size %d: want a power of two from %d to %d", bs, MinBlockSize, MaxBlockSize)
	}
	if opts.Level < 0 || opts.Level > 22 {
		return nil, fmt.Errorf("zfile: level %d: want 0 to 22", opts.Level)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	w := &Writer{
		dst:     dst,
		opts:    opts,
		bs:      bs,
		bound:   compressBound(opts.Algorithm, bs) + 4 + 64,
		work:    make(chan *batch, opts.Workers),
		seqDone: make(chan struct{}),
		off:     htSpace,
		batch:   itemBytes(opts.Workers, bs),
	}
	// Enough batches for every worker to hold one, one being written and one being filled.
	w.maxb = opts.Workers + 2
	w.order = make(chan *batch, w.maxb)
	w.free = make(chan *batch, w.maxb)
	encs := make([]*encoder, opts.Workers)
	for i := range encs {
		e, err := newEncoder(opts.Algorithm, opts.Level)
		if err != nil {
			for _, e := range encs[:i] {
				e.close()
			}
			return nil, err
		}
		encs[i] = e
	}
	var hb [htSpace]byte
	h := w.headerTrailer(flagHeader | flagDataFile | flagDigest)
	h.marshal(&hb)
	if _, err := dst.WriteAt(hb[:], 0); err != nil {
		for _, e := range encs {
			e.close()
		}
		return nil, fmt.Errorf("zfile: write header: %w", err)
	}
	for _, e := range encs {
		w.workers.Add(1)
		go w.worker(e)
	}
	go w.sequencer()
	return w, nil
}

func (w *Writer) headerTrailer(flags uint64) headerTrailer {
	h := headerTrailer{
		Flags:     flags,
		BlockSize: uint32(w.bs),
		Algorithm: w.opts.Algorithm,
		Level:     uint8(w.opts.Level),
	}
	if !w.opts.NoVerify {
		h.Verify = 1
	}
	return h
}

func (w *Writer) setErr(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
}

func (w *Writer) firstErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// getBatch returns an empty batch, waiting for one to come back when all are in flight; this
// is the writer's back-pressure.
func (w *Writer) getBatch() *batch {
	select {
	case b := <-w.free:
		return b
	default:
	}
	if w.nbatch < w.maxb {
		w.nbatch++
		nb := w.batch / w.bs
		return &batch{
			raw:  make([]byte, 0, nb*w.bs),
			out:  make([]byte, 0, nb*w.bound),
			lens: make([]uint32, 0, nb),
			done: make(chan struct{}, 1),
		}
	}
	return <-w.free
}

// Write compresses p. It returns an error if any earlier block failed to compress or write.
func (w *Writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, errors.New("zfile: write to a closed Writer")
	}
	if err := w.firstErr(); err != nil {
		return 0, err
	}
	n := len(p)
	for len(p) > 0 {
		if w.cur == nil {
			w.cur = w.getBatch()
		}
		k := copy(w.cur.raw[len(w.cur.raw):cap(w.cur.raw)], p)
		w.cur.raw = w.cur.raw[:len(w.cur.raw)+k]
		p = p[k:]
		if len(w.cur.raw) == cap(w.cur.raw) {
			w.submit()
		}
	}
	w.rawSize += int64(n)
	return n, nil
}

func (w *Writer) submit() {
	b := w.cur
	w.cur = nil
	w.order <- b
	w.work <- b
}

// worker compresses batches with its own encoder (a zstd encoder is long-lived and reused).
func (w *Writer) worker(e *encoder) {
	defer w.workers.Done()
	defer e.close()
	for b := range w.work {
		b.err = w.compress(e, b)
		b.done <- struct{}{}
	}
}

func (w *Writer) compress(e *encoder, b *batch) error {
	b.out = b.out[:0]
	b.lens = b.lens[:0]
	verify := !w.opts.NoVerify
	for src := b.raw; len(src) > 0; {
		blk := src[:min(w.bs, len(src))]
		src = src[len(blk):]
		pos := len(b.out)
		dst := b.out[pos : pos+w.bound : pos+w.bound]
		n, err := e.encode(blk, dst)
		if err != nil {
			return fmt.Errorf("zfile: compress block: %w", err)
		}
		if n > compressBound(w.opts.Algorithm, w.bs) {
			return fmt.Errorf("zfile: compressed block of %d bytes exceeds the format's bound", n)
		}
		if verify {
			binary.LittleEndian.PutUint32(dst[n:], blockCRC(dst[:n]))
			n += 4
		}
		b.out = b.out[:pos+n]
		b.lens = append(b.lens, uint32(n))
	}
	return nil
}

// sequencer writes finished batches in the order they were submitted.
func (w *Writer) sequencer() {
	defer close(w.seqDone)
	for b := range w.order {
		<-b.done
		if b.err != nil {
			w.setErr(b.err)
		} else if w.firstErr() == nil {
			if _, err := w.dst.WriteAt(b.out, w.off); err != nil {
				w.setErr(fmt.Errorf("zfile: write blocks at %d: %w", w.off, err))
			} else {
				for _, l := range b.lens {
					if l > overlaybdReadBuffer {
						w.oversized = append(w.oversized, len(w.lengths))
					}
					w.lengths = append(w.lengths, l)
				}
				w.off += int64(len(b.out))
			}
		}
		b.raw = b.raw[:0]
		w.free <- b
	}
}

// Close compresses what is buffered, waits for the workers, then writes the index, the
// trailer and the final header (flags 0x1B: the header repeats the index fields).
func (w *Writer) Close() error {
	if w.closed {
		return errors.New("zfile: Writer closed twice")
	}
	w.closed = true
	if w.cur != nil && len(w.cur.raw) > 0 {
		w.submit()
	}
	close(w.work)
	close(w.order)
	w.workers.Wait()
	<-w.seqDone
	if err := w.firstErr(); err != nil {
		return err
	}
	idx := make([]byte, 4*len(w.lengths))
	for i, l := range w.lengths {
		binary.LittleEndian.PutUint32(idx[4*i:], l)
	}
	if _, err := w.dst.WriteAt(idx, w.off); err != nil {
		return fmt.Errorf("zfile: write index: %w", err)
	}
	h := w.headerTrailer(flagDataFile | flagSealed | flagDigest)
	h.IndexOffset = uint64(w.off)
	h.IndexSize = uint64(len(w.lengths))
	h.RawSize = uint64(w.rawSize)
	h.IndexCRC = crcRaw(0, idx)
	var b [htSpace]byte
	h.marshal(&b)
	if _, err := w.dst.WriteAt(b[:], w.off+int64(len(idx))); err != nil {
		return fmt.Errorf("zfile: write trailer: %w", err)
	}
	h.Flags = flagHeader | flagDataFile | flagHeaderOverwrite | flagDigest
	h.marshal(&b)
	if _, err := w.dst.WriteAt(b[:], 0); err != nil {
		return fmt.Errorf("zfile: rewrite header: %w", err)
	}
	w.size = w.off + int64(len(idx)) + htSpace
	return nil
}

// Size is the size of the finished ZFile; 0 until Close has succeeded.
func (w *Writer) Size() int64 { return w.size }

// Warnings lists what about the file overlaybd would not cope with; empty for most files.
// Today that is blocks stored in more than 64 KiB (incompressible data in 64 KiB blocks):
// overlaybd's reader cannot read them, dadi can. Valid after Close.
func (w *Writer) Warnings() []string {
	if len(w.oversized) == 0 {
		return nil
	}
	list := ""
	for i, b := range w.oversized {
		if i == 10 {
			list += fmt.Sprintf(" and %d more", len(w.oversized)-10)
			break
		}
		if i > 0 {
			list += ", "
		}
		list += fmt.Sprint(b)
	}
	return []string{fmt.Sprintf(
		"%d of %d blocks (%s) are stored in more than %d bytes (incompressible %d KiB blocks): "+
			"overlaybd cannot read this file back (its read buffer is %d KiB); dadi can. "+
			"A block size of %d KiB or less avoids it",
		len(w.oversized), len(w.lengths), list, overlaybdReadBuffer, w.bs>>10,
		overlaybdReadBuffer>>10, w.bs>>11)}
}
