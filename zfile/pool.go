package zfile

import "sync"

// compBufSize is the compressed-bytes buffer of one read. It holds the blocks of a 512 KiB
// request (ublk's largest) even when every block is stored at its bound, so such a request is
// one read of the underlying file; longer requests are read in pieces this size.
const compBufSize = 512<<10 + 64<<10

// Buffers are fixed-size arrays behind pointers, so taking one from a pool and putting it
// back allocates nothing. A read takes a block buffer only when it wants part of a block.
type (
	compBuf  [compBufSize]byte
	blockBuf [MaxBlockSize]byte
)

var (
	compPool  = sync.Pool{New: func() any { return new(compBuf) }}
	blockPool = sync.Pool{New: func() any { return new(blockBuf) }}
)

func getCompBuf() *compBuf    { return compPool.Get().(*compBuf) }
func putCompBuf(b *compBuf)   { compPool.Put(b) }
func getBlockBuf() *blockBuf  { return blockPool.Get().(*blockBuf) }
func putBlockBuf(b *blockBuf) { blockPool.Put(b) }
