package zfile

import (
	"errors"
	"fmt"
	"io"
)

// ReadFrom compresses everything src yields until io.EOF. It reads straight into the
// batches the workers compress, so no byte is copied between the read and the codec, and
// each read asks for a whole batch (a large read of a file). io.Copy(w, src) calls it.
func (w *Writer) ReadFrom(src io.Reader) (int64, error) { return w.readFrom(src, nil) }

// readFrom is ReadFrom calling progress, if not nil, with the bytes read so far.
func (w *Writer) readFrom(src io.Reader, progress func(done int64)) (int64, error) {
	if w.closed {
		return 0, errors.New("zfile: write to a closed Writer")
	}
	var total int64
	for {
		if err := w.firstErr(); err != nil {
			return total, err
		}
		if w.cur == nil {
			w.cur = w.getBatch()
		}
		b := w.cur
		n, err := io.ReadFull(src, b.raw[len(b.raw):cap(b.raw)])
		b.raw = b.raw[:len(b.raw)+n]
		total += int64(n)
		w.rawSize += int64(n)
		if len(b.raw) == cap(b.raw) {
			w.submit()
		}
		if n > 0 && progress != nil {
			progress(total)
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return total, nil
		case err != nil:
			return total, fmt.Errorf("zfile: read input: %w", err)
		}
	}
}

// StreamOptions configures CompressStream: the Writer's options and what a whole-file job
// adds.
type StreamOptions struct {
	Options
	// Tar wraps the ZFile in overlaybd's one-file tar, as `overlaybd-commit -t` does.
	Tar bool
	// Progress, if not nil, is called with the uncompressed bytes read so far, from the
	// calling goroutine.
	Progress func(done int64)
}

// StreamResult describes a finished CompressStream.
type StreamResult struct {
	RawSize  int64    // uncompressed bytes read from src
	Size     int64    // bytes written to dst, the tar wrapper included
	Warnings []string // see Writer.Warnings
}

// CompressStream compresses src, to its end, into dst as a ZFile starting at offset 0 (after
// the tar headers with o.Tar). Blocks are compressed on o.Workers goroutines in batches of
// many blocks, read in batch-sized reads and written in order, one write per batch. dst is
// left as it is on error; removing it is the caller's choice.
func CompressStream(dst io.WriterAt, src io.Reader, o StreamOptions) (StreamResult, error) {
	out := dst
	var tw *TarWriterAt
	if o.Tar {
		tw = NewTarWriterAt(dst)
		out = tw
	}
	w, err := NewWriter(out, o.Options)
	if err != nil {
		return StreamResult{}, err
	}
	raw, rerr := w.readFrom(src, o.Progress)
	cerr := w.Close() // also stops the workers after a read error
	if rerr != nil {
		return StreamResult{}, rerr
	}
	if cerr != nil {
		return StreamResult{}, cerr
	}
	res := StreamResult{RawSize: raw, Size: w.Size(), Warnings: w.Warnings()}
	if tw != nil {
		if err := tw.Finish(res.Size); err != nil {
			return StreamResult{}, err
		}
		res.Size = TarSize(res.Size)
	}
	return res, nil
}

// TarSize is the size of overlaybd's one-file tar around a payload of n bytes: three header
// blocks, the payload padded to 512, two zero blocks.
func TarSize(n int64) int64 {
	return tarPayloadOff + (n+tarBlock-1)/tarBlock*tarBlock + 2*tarBlock
}
