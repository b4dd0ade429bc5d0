package zfile

// The bulk pipelines (Writer, DecompressTo) cut a file into work items of many blocks, each
// compressed or decoded by one goroutine into buffers allocated once. An item should be
// large, so that each is one big read and one big write and the hand-offs cost nothing
// beside the codec, yet all items in flight (one per worker plus two) should fit in a fixed
// budget, so that a 64-core machine does not hold half a GiB of buffers.
const (
	itemBudget   = 16 << 20 // uncompressed bytes of all items in flight
	itemMaxBytes = 4 << 20
	itemMinBytes = 256 << 10
)

// itemBytes is the uncompressed size of one work item for the given worker count and block
// size: a whole number of blocks, at least one.
func itemBytes(workers, blockSize int) int {
	n := min(itemMaxBytes, max(itemMinBytes, itemBudget/(workers+2)))
	return max(1, n/blockSize) * blockSize
}
