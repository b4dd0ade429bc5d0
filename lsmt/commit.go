package lsmt

import (
	"bufio"
	"fmt"
	"io"

	"github.com/dadi-dev/dadi/index"
	"github.com/dadi-dev/dadi/internal/atomicfile"
	"github.com/dadi-dev/dadi/zfile"
)

// CommitOptions shape the read-only layer that Commit and Merge write.
type CommitOptions struct {
	UUID       string // empty: NullUUID, as overlaybd writes without --uuid
	ParentUUID string // empty: NullUUID
	UserTag    string // commit message, at most 255 bytes
	Compress   bool   // wrap the LSMT file in a ZFile
	ZFile      zfile.Options
	Tar        bool // wrap the result in overlaybd's one-file tar
}

// CommitResult reports what was written.
type CommitResult struct {
	Size     int64    // bytes of the output file
	Segments int      // index entries without padding
	Warnings []string // things overlaybd could not read (from the ZFile writer)
}

// ReadFunc reads the data of segment s (its moffset, its tag) into p, which may be a prefix
// of the segment's data starting skip sectors in.
type ReadFunc func(s index.Segment, skip uint64, p []byte) error

// Commit compacts a writable layer into a read-only LSMT layer at path. The layer is only
// read; path may not be one of its files (ErrOutputIsInput).
func Commit(u Upper, path string, o CommitOptions) (CommitResult, error) {
	segs := u.Segments()
	read := func(s index.Segment, skip uint64, p []byte) error {
		return u.ReadData(p, int64(s.MOffset()+skip)*SectorSize)
	}
	return WriteLayer(path, UpperFiles(u), segs, u.VirtualSize(), o, read)
}

// WriteLayer writes segs (Commit: a writable layer's; engine.Merge: a stack's) as a read-only layer at path, through the wrappers o asks for.
// The layer is built in a temporary file renamed over path once complete, so a failure leaves
// path as it was; path may not be one of inputs, the files the data is read from.
func WriteLayer(path string, inputs []string, segs []index.Segment, vsize int64, o CommitOptions, read ReadFunc) (res CommitResult, err error) {
	if err := ValidateUUID(o.UUID); err != nil {
		return res, err
	}
	if err := ValidateUUID(o.ParentUUID); err != nil {
		return res, fmt.Errorf("parent %w", err)
	}
	if len(o.UserTag) > 255 {
		return res, fmt.Errorf("user tag of %d bytes: at most 255", len(o.UserTag))
	}
	f, err := atomicfile.Create(path, 0o644, inputs...)
	if err != nil {
		return res, err
	}
	defer f.Abort()
	var dst io.WriterAt = f
	var tw *zfile.TarWriterAt
	if o.Tar {
		tw = zfile.NewTarWriterAt(f)
		dst = tw
	}
	var payload int64
	if o.Compress {
		zw, err := zfile.NewWriter(dst, o.ZFile)
		if err != nil {
			return res, err
		}
		n, werr := writeLSMT(zw, segs, vsize, o, read)
		if err := zw.Close(); werr == nil {
			werr = err
		}
		if werr != nil {
			return res, fmt.Errorf("%s: %w", path, werr)
		}
		res.Segments, payload, res.Warnings = n, zw.Size(), zw.Warnings()
	} else {
		ow := &countWriter{w: io.NewOffsetWriter(dst, 0)}
		n, err := writeLSMT(ow, segs, vsize, o, read)
		if err != nil {
			return res, fmt.Errorf("%s: %w", path, err)
		}
		res.Segments, payload = n, ow.n
	}
	res.Size = payload
	if tw != nil {
		if err := tw.Finish(payload); err != nil {
			return res, fmt.Errorf("%s: %w", path, err)
		}
		st, err := f.Stat()
		if err != nil {
			return res, err
		}
		res.Size = st.Size()
	}
	return res, f.Commit()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeLSMT streams a committed LSMT file the way overlaybd-commit lays it out: header (flags
// 0x7, no index fields), the data of every non-zeroed segment packed in index order from byte
// 4096, the index (entries that end up contiguous in both disk and file merged, padded to a
// multiple of 256 entries), then the trailer (0x6) with the index fields. Zeroed entries keep
// the file position at that point as their moffset, as overlaybd's do. Everything is written
// in order, so the output can be a stream (a ZFile writer).
func writeLSMT(w io.Writer, segs []index.Segment, vsize int64, o CommitOptions, read ReadFunc) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	h := Header{Flags: FlagHeader | FlagDataFile | FlagSealed, VirtualSize: uint64(vsize), UUID: o.UUID, ParentUUID: o.ParentUUID, UserTag: o.UserTag}
	if h.UUID == "" {
		h.UUID = NullUUID
	}
	if _, err := bw.Write(h.Marshal()); err != nil {
		return 0, err
	}
	out := make([]index.Segment, 0, len(segs))
	cur := uint64(HeaderSize / SectorSize)
	buf := make([]byte, 1<<20)
	for _, s := range segs {
		if !s.Zeroed() {
			for done := uint64(0); done < s.Length(); {
				k := min(s.Length()-done, uint64(len(buf))/SectorSize)
				p := buf[:k*SectorSize]
				if err := read(s, done, p); err != nil {
					return 0, err
				}
				if _, err := bw.Write(p); err != nil {
					return 0, err
				}
				done += k
			}
		}
		out = pushCompacted(out, index.NewSegment(s.Offset(), s.Length(), cur, s.Zeroed(), s.Tag()))
		if !s.Zeroed() {
			cur += s.Length()
		}
	}
	n := len(out)
	for len(out)%(HeaderSize/index.EntrySize) != 0 {
		out = append(out, index.Padding)
	}
	var e [index.EntrySize]byte
	for _, s := range out {
		s.Encode(e[:])
		if _, err := bw.Write(e[:]); err != nil {
			return 0, err
		}
	}
	h.Flags = FlagDataFile | FlagSealed
	h.IndexOffset, h.IndexSize = cur*SectorSize, uint64(len(out))
	if _, err := bw.Write(h.Marshal()); err != nil {
		return 0, err
	}
	return n, bw.Flush()
}

// pushCompacted appends s, or extends the last entry when s continues it in the disk and in
// the file, with the same kind and tag, within the entry length limit.
func pushCompacted(out []index.Segment, s index.Segment) []index.Segment {
	if k := len(out) - 1; k >= 0 {
		p := out[k]
		if p.End() == s.Offset() && p.MOffset()+p.Length() == s.MOffset() && p.Zeroed() == s.Zeroed() &&
			p.Tag() == s.Tag() && p.Length()+s.Length() <= index.MaxLength {
			out[k] = index.NewSegment(p.Offset(), p.Length()+s.Length(), p.MOffset(), p.Zeroed(), p.Tag())
			return out
		}
	}
	return append(out, s)
}
