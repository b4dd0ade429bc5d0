package uring

// The kernel ABI of io_uring (include/uapi/linux/io_uring.h). Sizes and offsets are asserted
// in abi_unsafe_test.go.

// Setup flags (io_uring_params.flags).
const (
	SetupIOPoll       uint32 = 1 << 0
	SetupSQPoll       uint32 = 1 << 1
	SetupCQSize       uint32 = 1 << 3
	SetupClamp        uint32 = 1 << 4
	SetupSubmitAll    uint32 = 1 << 7
	SetupCoopTaskrun  uint32 = 1 << 8
	SetupTaskrunFlag  uint32 = 1 << 9
	SetupSQE128       uint32 = 1 << 10
	SetupCQE32        uint32 = 1 << 11
	SetupSingleIssuer uint32 = 1 << 12
	SetupDeferTaskrun uint32 = 1 << 13
)

// Feature bits the kernel reports (io_uring_params.features).
const (
	FeatSingleMmap    uint32 = 1 << 0
	FeatNoDrop        uint32 = 1 << 1
	FeatNativeWorkers uint32 = 1 << 9
)

// Opcodes used by dadi.
const (
	OpNop        uint8 = 0
	OpReadv      uint8 = 1
	OpWritev     uint8 = 2
	OpFsync      uint8 = 3
	OpReadFixed  uint8 = 4
	OpWriteFixed uint8 = 5
	OpPollAdd    uint8 = 6
	OpFallocate  uint8 = 17
	OpRead       uint8 = 22
	OpWrite      uint8 = 23
	OpURingCmd   uint8 = 46
	opLast       uint8 = 64 // upper bound for the probe buffer
)

// SQE flags.
const (
	SQEFixedFile      uint8 = 1 << 0
	SQEIODrain        uint8 = 1 << 1
	SQEIOLink         uint8 = 1 << 2
	SQEAsync          uint8 = 1 << 4
	SQECQESkipSuccess uint8 = 1 << 6
)

// FsyncDatasync makes an OpFsync an fdatasync.
const FsyncDatasync uint32 = 1 << 0

// io_uring_enter flags.
const (
	enterGetEvents uint32 = 1 << 0
)

// io_uring_register opcodes.
const (
	registerBuffers   = 0
	unregisterBuffers = 1
	registerFiles     = 2
	unregisterFiles   = 3
	registerProbe     = 8
)

// mmap offsets of the rings.
const (
	offSQRing = 0
	offCQRing = 0x8000000
	offSQEs   = 0x10000000
)

// SQE is a submission queue entry, 64 bytes. With SetupSQE128 each entry is followed by 64
// more bytes that belong to it (the command area of URING_CMD grows to 80 bytes).
type SQE struct {
	Opcode      uint8
	Flags       uint8
	IOPrio      uint16
	Fd          int32
	Off         uint64 // also addr2; for URING_CMD its low 32 bits are cmd_op
	Addr        uint64
	Len         uint32
	OpFlags     uint32 // rw_flags, fsync_flags, uring_cmd_flags, ...
	UserData    uint64
	BufIndex    uint16
	Personality uint16
	FileIndex   int32  // splice_fd_in / file_index
	Addr3       uint64 // first 8 bytes of the URING_CMD command area
	pad2        uint64
}

// CQE is a completion queue entry, 16 bytes (32 with SetupCQE32; the extra 16 are ignored).
type CQE struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

type sqringOffsets struct {
	Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1 uint32
	UserAddr                                                        uint64
}

type cqringOffsets struct {
	Head, Tail, RingMask, RingEntries, Overflow, CQEs, Flags, Resv1 uint32
	UserAddr                                                        uint64
}

// params is struct io_uring_params.
type params struct {
	SQEntries    uint32
	CQEntries    uint32
	Flags        uint32
	SQThreadCPU  uint32
	SQThreadIdle uint32
	Features     uint32
	WQFd         uint32
	Resv         [3]uint32
	SQOff        sqringOffsets
	CQOff        cqringOffsets
}

// probeOp and probeHeader make up struct io_uring_probe.
type probeOp struct {
	Op    uint8
	Resv  uint8
	Flags uint16
	Resv2 uint32
}

type probeHeader struct {
	LastOp uint8
	OpsLen uint8
	Resv   uint16
	Resv2  [3]uint32
}

const probeOpSupported = 1
