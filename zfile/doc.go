// Package zfile reads and writes ZFile, overlaybd's random-access compressed file format.
//
// A ZFile cuts its input into fixed-size blocks (4 KiB by default, up to 64 KiB) and
// compresses each on its own with LZ4 (raw block format) or zstd (one frame per block), so any
// byte range can be read by decompressing only the blocks that hold it. The layout is a
// 512-byte header, the compressed blocks (each followed by a CRC32C when verify is on), an
// index of one u32 stored length per block, and a 512-byte trailer. See FORMATS.md in the
// shared folder for the field table.
//
// Reader serves ReadAt from many goroutines at once (every ublk queue reads through it): it
// reads the compressed bytes of a request with one ReadAt on the underlying file, checks each
// block's CRC, and decompresses into pooled fixed-size buffers, or straight into the caller's
// buffer when a whole block is asked for, so a read allocates nothing. Anything that does not
// add up (a CRC, a length, a digest, an offset past the data) is an error that wraps
// ErrCorrupt and names the file and offset; a Reader never returns wrong bytes knowingly.
//
// Writer compresses on all cores and writes blocks in order, producing the same layout as
// `overlaybd-commit -z` (header rewritten with the final index fields, flags 0x1B). With LZ4
// at the default level its blocks are byte-for-byte those of overlaybd's LZ4_compress_default.
//
// Whole files go through CompressStream (a Writer that reads its input straight into the
// batches its workers compress) and DecompressTo / DecompressToFile (blocks read, checked and
// decoded on all cores in work items of a few MiB, written in order, zeros left as holes in
// a file); Verify runs the same decoding with the output dropped. `dadi zfile` is these
// calls plus flags and files.
//
// overlaybd's one-file tar wrapper (`overlaybd-commit -t`) is read transparently by Open and
// written by TarWriterAt.
package zfile
