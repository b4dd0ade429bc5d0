package zfile

// Info describes an open ZFile: the header/trailer fields and a few derived figures.
type Info struct {
	Name              string
	Algorithm         Algorithm
	Level             int // the header's level byte (0: the codec's default)
	BlockSize         int
	Verify            bool // each block carries a CRC32C
	Blocks            int
	Size              int64 // uncompressed bytes
	FileSize          int64 // bytes of the ZFile itself (without any tar wrapper)
	DataSize          int64 // bytes of stored blocks, CRCs included
	MaxStored         int   // longest stored block
	IndexOffset       int64
	IndexCRC          uint32
	HeaderFlags       uint64
	HeaderDigest      uint32
	TrailerFlags      uint64
	TrailerDigest     uint32
	HeaderOverwritten bool // the header repeats the index fields (flag bit 3)
	Digests           bool // header digest and index CRC are present and were checked
	TarWrapped        bool
	PayloadOffset     int64 // where the ZFile starts in the opened file (tar: 512 or 1536)
	JumpTableBytes    int   // memory the Reader keeps per file for block offsets
}

// Ratio is uncompressed bytes per stored byte (the whole ZFile counted); 0 for an empty file.
func (i Info) Ratio() float64 {
	if i.FileSize == 0 || i.Size == 0 {
		return 0
	}
	return float64(i.Size) / float64(i.FileSize)
}

// OverlaybdUnreadable reports whether some stored block is longer than overlaybd's 64 KiB read
// buffer, which makes overlaybd fail to read the file (dadi reads it).
func (i Info) OverlaybdUnreadable() bool { return i.MaxStored > overlaybdReadBuffer }
