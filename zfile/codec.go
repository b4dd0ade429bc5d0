package zfile

import (
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Algorithm is the codec of every block in a file, as the header's algo byte numbers it.
type Algorithm uint8

const (
	LZ4  Algorithm = 1 // raw LZ4 block, no frame (LZ4_compress_default)
	Zstd Algorithm = 2 // one complete zstd frame per block, content size recorded
)

func (a Algorithm) String() string {
	switch a {
	case LZ4:
		return "lz4"
	case Zstd:
		return "zstd"
	}
	return fmt.Sprintf("algorithm(%d)", uint8(a))
}

// ParseAlgorithm maps "lz4" and "zstd" to an Algorithm.
func ParseAlgorithm(s string) (Algorithm, error) {
	switch s {
	case "lz4", "LZ4":
		return LZ4, nil
	case "zstd", "ZSTD":
		return Zstd, nil
	}
	return 0, fmt.Errorf("zfile: unknown algorithm %q (want lz4 or zstd)", s)
}

// Block sizes. overlaybd reads through a fixed 64 KiB buffer, so larger blocks are never
// written by it and are refused here too.
const (
	MinBlockSize = 4 << 10  // smallest block size Writer accepts
	MaxBlockSize = 64 << 10 // largest block size Writer and Reader accept
	// minReadBlockSize is the smallest block size Reader accepts: overlaybd-zfile takes its
	// --bs in KiB, and smaller blocks only make the index bigger than the data.
	minReadBlockSize = 512
	// overlaybdReadBuffer is overlaybd's MAX_READ_SIZE: a stored block longer than this
	// cannot be read back by overlaybd (its reader copies the block into a buffer this big).
	overlaybdReadBuffer = 64 << 10
)

// compressBound is the largest compressed size of n input bytes (LZ4_compressBound and
// ZSTD_COMPRESSBOUND); it is what the writer reserves and what the reader accepts.
func compressBound(a Algorithm, n int) int {
	switch a {
	case LZ4:
		return n + n/255 + 16
	case Zstd:
		b := n + n>>8
		if n < 128<<10 {
			b += (128<<10 - n) >> 11
		}
		return b
	}
	return 0
}

// maxStored is the longest a stored block (compressed bytes plus CRC) may be.
func maxStored(a Algorithm, blockSize int, verify bool) int {
	n := compressBound(a, blockSize)
	if verify {
		n += 4
	}
	return n
}

// zstdDecoders holds decoders for the read path. Each decodes synchronously (concurrency 1:
// no goroutines) and is used by one goroutine at a time, so no I/O waits on another's
// decoder. DecodeAll is cap-limited: a frame that claims more than the caller's buffer holds
// is refused instead of growing the buffer, so a bad size field never drives an allocation.
var zstdDecoders = sync.Pool{New: func() any {
	d, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(false),
		zstd.WithDecodeAllCapLimit(true),
		// Frames written for one block never need a bigger window than the block (libzstd
		// sizes it to the content); 1 MiB leaves room for other encoders' choices.
		zstd.WithDecoderMaxMemory(1<<20),
		zstd.WithDecoderMaxWindow(1<<20),
	)
	if err != nil {
		panic("zfile: zstd decoder options: " + err.Error()) // options are constants
	}
	return d
}}

// decodeBlock decompresses src into dst, which is exactly the block's raw length, and returns
// how many bytes it produced. A block that decodes to any other length is the caller's error.
func decodeBlock(a Algorithm, src, dst []byte) (int, error) {
	switch a {
	case LZ4:
		return lz4.UncompressBlock(src, dst)
	case Zstd:
		d := zstdDecoders.Get().(*zstd.Decoder)
		// dst[:0:len] so that even a misbehaving decoder cannot write past the block.
		out, err := d.DecodeAll(src, dst[:0:len(dst)])
		zstdDecoders.Put(d)
		if err != nil {
			return 0, err
		}
		if len(out) > 0 && (len(dst) == 0 || &out[0] != &dst[0]) {
			return 0, fmt.Errorf("zstd frame decoded outside the block buffer")
		}
		return len(out), nil
	}
	return 0, fmt.Errorf("%w: algorithm %d", ErrNotSupported, a)
}

// encoder compresses blocks for one writer worker; it is not safe for concurrent use.
type encoder struct {
	alg  Algorithm
	fast lz4.CompressorCCompat // level 0: same bytes as LZ4_compress_default
	hc   *lz4.CompressorHC     // level >= 1
	zstd *zstd.Encoder
}

func newEncoder(a Algorithm, level int) (*encoder, error) {
	e := &encoder{alg: a}
	switch a {
	case LZ4:
		if level > 0 {
			// pierrec's HC levels are search depths 2^(8+n).
			e.hc = &lz4.CompressorHC{Level: lz4.CompressionLevel(1 << (8 + min(level, 9) - 1))}
		}
	case Zstd:
		lvl := zstd.SpeedDefault // overlaybd compresses at libzstd level 3 whatever the header says
		if level > 0 {
			lvl = zstd.EncoderLevelFromZstd(level)
		}
		z, err := zstd.NewWriter(nil,
			zstd.WithEncoderConcurrency(1),
			zstd.WithEncoderLevel(lvl),
			zstd.WithEncoderCRC(false), // ZSTD_compress writes no frame checksum either
			zstd.WithSingleSegment(true),
			zstd.WithZeroFrames(true),
			zstd.WithWindowSize(zstdWindow(MaxBlockSize)),
		)
		if err != nil {
			return nil, fmt.Errorf("zfile: zstd encoder: %w", err)
		}
		e.zstd = z
	default:
		return nil, fmt.Errorf("%w: algorithm %d", ErrNotSupported, a)
	}
	return e, nil
}

// zstdWindow is the smallest power of two >= n that the encoder accepts as a window.
func zstdWindow(n int) int {
	w := zstd.MinWindowSize
	for w < n {
		w <<= 1
	}
	return w
}

// encode compresses src into dst, which must hold compressBound(len(src)) bytes, and returns
// the compressed length.
func (e *encoder) encode(src, dst []byte) (int, error) {
	switch e.alg {
	case LZ4:
		var n int
		var err error
		if e.hc != nil {
			n, err = e.hc.CompressBlock(src, dst)
		} else {
			n, err = e.fast.CompressBlock(src, dst)
		}
		if err == nil && n == 0 {
			err = fmt.Errorf("lz4 produced no output for %d bytes", len(src))
		}
		return n, err
	case Zstd:
		out := e.zstd.EncodeAll(src, dst[:0])
		if len(out) > 0 && (len(dst) == 0 || &out[0] != &dst[0]) {
			return 0, fmt.Errorf("zstd output outgrew its %d-byte buffer", len(dst))
		}
		return len(out), nil
	}
	return 0, fmt.Errorf("%w: algorithm %d", ErrNotSupported, e.alg)
}

func (e *encoder) close() {
	if e.zstd != nil {
		e.zstd.Close()
	}
}
