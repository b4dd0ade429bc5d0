package zfile

// jumpTable maps a block index to where its stored bytes start, in about two bytes per
// block: one u64 base per group of blocks plus one u16 delta from the group's base per block.
// Groups are as large as the file's longest block allows (deltas must fit in 16 bits), at
// most 64 blocks; a file whose blocks exceed 32 KiB gets one group per block.
type jumpTable struct {
	shift uint     // log2 of the group size
	base  []uint64 // offset of the first block of each group, relative to the data start
	delta []uint16 // offset(i) - base[i>>shift]; n+1 entries, the last is the data's end
}

const maxGroupShift = 6

// newJumpTable builds the table from the stored lengths (already bounds-checked by the
// caller, so every length fits in 17 bits).
func newJumpTable(lengths []uint32) jumpTable {
	var maxLen uint64
	for _, l := range lengths {
		maxLen = max(maxLen, uint64(l))
	}
	shift := uint(0)
	for shift < maxGroupShift && (uint64(1)<<(shift+1)-1)*maxLen <= 0xFFFF {
		shift++
	}
	n := len(lengths)
	j := jumpTable{
		shift: shift,
		base:  make([]uint64, n>>shift+1),
		delta: make([]uint16, n+1),
	}
	var off uint64
	for i := 0; i <= n; i++ {
		g := i >> shift
		if i&(1<<shift-1) == 0 {
			j.base[g] = off
		}
		j.delta[i] = uint16(off - j.base[g])
		if i < n {
			off += uint64(lengths[i])
		}
	}
	return j
}

// offset is where block i starts, relative to the data start; offset(n) is the data's end.
func (j *jumpTable) offset(i int) int64 {
	return int64(j.base[i>>j.shift]) + int64(j.delta[i])
}

// blocks is the number of blocks.
func (j *jumpTable) blocks() int { return len(j.delta) - 1 }

// bytes is the table's memory footprint.
func (j *jumpTable) bytes() int { return 8*len(j.base) + 2*len(j.delta) }
