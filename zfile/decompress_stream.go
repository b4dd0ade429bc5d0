package zfile

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

// DecompressOptions configures DecompressTo and DecompressToFile.
type DecompressOptions struct {
	Workers int // decoding goroutines; default GOMAXPROCS
	// Progress, if not nil, is called with the uncompressed bytes written so far, from the
	// calling goroutine.
	Progress func(done int64)
}

// SparseFile is what DecompressToFile writes into: an *os.File.
type SparseFile interface {
	io.WriterAt
	Truncate(size int64) error
}

// holePiece is the granularity at which DecompressToFile leaves zeros unwritten.
const holePiece = 64 << 10

var zeroPiece [holePiece]byte

// DecompressTo writes r's whole uncompressed content to dst, in order, and returns the bytes
// written. Blocks are read, CRC-checked and decoded on o.Workers goroutines, a few MiB per
// work item, into buffers allocated once; the calling goroutine writes each item with one
// Write as soon as the items before it are written.
func DecompressTo(dst io.Writer, r *Reader, o DecompressOptions) (int64, error) {
	var done int64
	err := r.decodeAll(o, func(p []byte, off int64) error {
		n, err := dst.Write(p)
		done += int64(n)
		if err != nil {
			return fmt.Errorf("zfile: write %d decompressed bytes at %d: %w", len(p), off, err)
		}
		return nil
	})
	return done, err
}

// DecompressToFile is DecompressTo for a file: all-zero 64 KiB pieces are left as holes
// (dst is truncated to the full size at the end, so they read as zeros).
func DecompressToFile(dst SparseFile, r *Reader, o DecompressOptions) error {
	err := r.decodeAll(o, func(p []byte, off int64) error { return writeSparse(dst, p, off) })
	if err != nil {
		return err
	}
	return dst.Truncate(r.size)
}

// writeSparse writes b at off except for its all-zero 64 KiB pieces, which stay holes.
func writeSparse(dst io.WriterAt, b []byte, off int64) error {
	isZero := func(at int) bool {
		p := b[at:min(at+holePiece, len(b))]
		return bytes.Equal(p, zeroPiece[:len(p)]) // memequal: vector compares
	}
	for start := 0; start < len(b); {
		for start < len(b) && isZero(start) {
			start += holePiece
		}
		end := start
		for end < len(b) && !isZero(end) {
			end += holePiece
		}
		end = min(end, len(b))
		if end > start {
			if _, err := dst.WriteAt(b[start:end], off+int64(start)); err != nil {
				return fmt.Errorf("zfile: write %d decompressed bytes at %d: %w", end-start, off+int64(start), err)
			}
		}
		start = end
	}
	return nil
}

// decodeSlot holds one work item's buffers. Item i uses slot i%len(slots), so items reach
// emit in order with len(slots) buffers in all.
type decodeSlot struct {
	stored []byte
	raw    []byte
	free   chan struct{} // a token when the slot may take its next item
	done   chan error    // the item's result
}

// decodeAll decodes the whole file in work items of itemBytes and hands each item's bytes to
// emit in order. emit runs on the calling goroutine; the first error stops everything.
func (r *Reader) decodeAll(o DecompressOptions, emit func(p []byte, off int64) error) error {
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	bs := int64(1) << r.shift
	jobBlocks := int(max(1, min(int64(itemBytes(workers, int(bs))), r.size)/bs))
	jobs := (r.jt.blocks() + jobBlocks - 1) / jobBlocks
	workers = max(1, min(workers, jobs))
	// One item per worker in flight, one being written and one ready behind it.
	slots := make([]decodeSlot, min(workers+2, max(jobs, 1)))
	for i := range slots {
		slots[i] = decodeSlot{
			stored: make([]byte, jobBlocks*maxStored(r.alg, int(bs), r.verify)),
			raw:    make([]byte, int64(jobBlocks)*bs),
			free:   make(chan struct{}, 1),
			done:   make(chan error, 1),
		}
		slots[i].free <- struct{}{}
	}
	var (
		next atomic.Int64
		quit = make(chan struct{})
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				j := int(next.Add(1) - 1)
				if j >= jobs {
					return
				}
				s := &slots[j%len(slots)]
				select {
				case <-s.free:
				case <-quit:
					return
				}
				s.done <- r.decodeJob(s, j*jobBlocks, min((j+1)*jobBlocks, r.jt.blocks()))
			}
		})
	}
	var err error
	var written int64
	for j := 0; j < jobs && err == nil; j++ {
		s := &slots[j%len(slots)]
		if err = <-s.done; err != nil {
			break
		}
		first := j * jobBlocks
		off := int64(first) << r.shift
		n := min(int64(jobBlocks)<<r.shift, r.size-off)
		if err = emit(s.raw[:n], off); err != nil {
			break
		}
		written += n
		if o.Progress != nil {
			o.Progress(written)
		}
		s.free <- struct{}{}
	}
	close(quit)
	wg.Wait()
	return err
}

// decodeJob reads the stored bytes of blocks [b, e) with one read and decodes them into
// s.raw, checking each block's CRC.
func (r *Reader) decodeJob(s *decodeSlot, b, e int) error {
	base := r.jt.offset(b)
	stored := s.stored[:r.jt.offset(e)-base]
	if err := r.readStored(stored, base); err != nil {
		return err
	}
	for i := b; i < e; i++ {
		raw := s.raw[int64(i-b)<<r.shift:][:r.rawLen(i)]
		if err := r.decode(i, stored[r.jt.offset(i)-base:r.jt.offset(i+1)-base], raw); err != nil {
			return err
		}
	}
	return nil
}
