package ublk

// The ublk UAPI (include/uapi/linux/ublk_cmd.h). Sizes and offsets are asserted in
// uapi_unsafe_test.go.

// Control command numbers. The legacy form is the bare number; the ioctl form (used when the
// kernel has UBLK_F_CMD_IOCTL_ENCODE) wraps it as _IOR/_IOWR('u', nr, struct ublksrv_ctrl_cmd).
const (
	cmdGetQueueAffinity  = 0x01
	cmdGetDevInfo        = 0x02
	cmdAddDev            = 0x04
	cmdDelDev            = 0x05
	cmdStartDev          = 0x06
	cmdStopDev           = 0x07
	cmdSetParams         = 0x08
	cmdGetParams         = 0x09
	cmdStartUserRecovery = 0x10
	cmdEndUserRecovery   = 0x11
	cmdGetDevInfo2       = 0x12
	cmdGetFeatures       = 0x13 // ioctl form only
)

// IO command numbers, issued on /dev/ublkcN.
const (
	ioFetchReq          = 0x20
	ioCommitAndFetchReq = 0x21
	ioNeedGetData       = 0x22
)

// ioctl encoding of the commands, as in <asm-generic/ioctl.h>.
const (
	iocWrite = 1
	iocRead  = 2
)

func ioc(dir, nr, size uint32) uint32 { return dir<<30 | size<<16 | uint32('u')<<8 | nr }

// ctrlDir gives each control command its _IOR or _IOWR direction.
func ctrlDir(nr uint32) uint32 {
	switch nr {
	case cmdGetQueueAffinity, cmdGetDevInfo, cmdGetParams, cmdGetDevInfo2, cmdGetFeatures:
		return iocRead
	}
	return iocRead | iocWrite
}

// ctrlOp is the cmd_op for control command nr in the chosen encoding.
func ctrlOp(nr uint32, ioctlEncode bool) uint32 {
	if !ioctlEncode {
		return nr
	}
	return ioc(ctrlDir(nr), nr, sizeofCtrlCmd)
}

// ioOp is the cmd_op for io command nr in the chosen encoding.
func ioOp(nr uint32, ioctlEncode bool) uint32 {
	if !ioctlEncode {
		return nr
	}
	return ioc(iocRead|iocWrite, nr, sizeofIOCmd)
}

// Results the kernel puts in an io command's CQE.
const (
	ioResOK          = 0
	ioResNeedGetData = 1
	// ioResAbort is -ENODEV: the tag will not be fetched again (device stopping).
	ioResAbort = -19
)

// Layout constants.
const (
	MaxQueueDepth   = 4096
	cmdBufOffset    = 0
	sizeofIODesc    = 24
	sizeofCtrlCmd   = 32
	sizeofIOCmd     = 16
	sizeofDevInfo   = 64
	sizeofParams    = 136
	cpuMaskBytes    = 128 // room for 1024 CPUs; the kernel wants a multiple of sizeof(long)
	maxIOBufBytesUp = 32 << 20
)

// Feature flags (ublksrv_ctrl_dev_info.flags and GET_FEATURES).
const (
	FSupportZeroCopy     uint64 = 1 << 0
	FURingCmdCompInTask  uint64 = 1 << 1
	FNeedGetData         uint64 = 1 << 2
	FUserRecovery        uint64 = 1 << 3
	FUserRecoveryReissue uint64 = 1 << 4
	FUnprivilegedDev     uint64 = 1 << 5
	FCmdIoctlEncode      uint64 = 1 << 6
	FUserCopy            uint64 = 1 << 7
	FZoned               uint64 = 1 << 8
	FUserRecoveryFailIO  uint64 = 1 << 9
	FUpdateSize          uint64 = 1 << 10
	FAutoBufReg          uint64 = 1 << 11
	FQuiesce             uint64 = 1 << 12
	FPerIODaemon         uint64 = 1 << 13
	FBufRegOffDaemon     uint64 = 1 << 14
	FBatchIO             uint64 = 1 << 15
	FIntegrity           uint64 = 1 << 16
	FSafeStopDev         uint64 = 1 << 17
	FNoAutoPartScan      uint64 = 1 << 18
)

// Device states.
const (
	StateDead     = 0
	StateLive     = 1
	StateQuiesced = 2
	StateFailIO   = 3
)

// Request flags in ublksrv_io_desc.op_flags (above the op byte).
const (
	IOFFailfastDev       uint32 = 1 << 8
	IOFFailfastTransport uint32 = 1 << 9
	IOFFailfastDriver    uint32 = 1 << 10
	IOFMeta              uint32 = 1 << 11
	IOFFUA               uint32 = 1 << 13
	IOFNoUnmap           uint32 = 1 << 15
	IOFSwap              uint32 = 1 << 16
)

// Parameter types and basic attributes.
const (
	paramTypeBasic   = 1 << 0
	paramTypeDiscard = 1 << 1
	paramTypeDevt    = 1 << 2

	attrReadOnly      = 1 << 0
	attrRotational    = 1 << 1
	attrVolatileCache = 1 << 2
	attrFUA           = 1 << 3
)

// ctrlCmd is struct ublksrv_ctrl_cmd, carried in the command area of a 128-byte SQE.
type ctrlCmd struct {
	DevID      uint32
	QueueID    uint16
	Len        uint16
	Addr       uint64
	Data       uint64
	DevPathLen uint16
	Pad        uint16
	Reserved   uint32
}

// DevInfo is struct ublksrv_ctrl_dev_info.
type DevInfo struct {
	NrHWQueues    uint16
	QueueDepth    uint16
	State         uint16
	Pad0          uint16
	MaxIOBufBytes uint32
	DevID         uint32
	UblksrvPID    int32
	Pad1          uint32
	Flags         uint64
	UblksrvFlags  uint64 // opaque to the kernel: dadi stores its target kind here
	OwnerUID      uint32
	OwnerGID      uint32
	Reserved1     uint64
	Reserved2     uint64
}

// ioCmd is struct ublksrv_io_cmd, carried in the command area of a 64-byte SQE.
type ioCmd struct {
	QID    uint16
	Tag    uint16
	Result int32
	Addr   uint64
}

// ioDesc is struct ublksrv_io_desc, one per tag in the shared descriptor array.
type ioDesc struct {
	OpFlags     uint32
	NrSectors   uint32
	StartSector uint64
	Addr        uint64
}

type paramBasic struct {
	Attrs            uint32
	LogicalBSShift   uint8
	PhysicalBSShift  uint8
	IOOptShift       uint8
	IOMinShift       uint8
	MaxSectors       uint32
	ChunkSectors     uint32
	DevSectors       uint64
	VirtBoundaryMask uint64
}

type paramDiscard struct {
	DiscardAlignment      uint32
	DiscardGranularity    uint32
	MaxDiscardSectors     uint32
	MaxWriteZeroesSectors uint32
	MaxDiscardSegments    uint16
	Reserved0             uint16
}

type paramDevt struct {
	CharMajor, CharMinor, DiskMajor, DiskMinor uint32
}

type paramZoned struct {
	MaxOpenZones         uint32
	MaxActiveZones       uint32
	MaxZoneAppendSectors uint32
	Reserved             [20]uint8
}

type paramDMAAlign struct {
	Alignment uint32
	Pad       [4]uint8
}

type paramSegment struct {
	SegBoundaryMask uint64
	MaxSegmentSize  uint32
	MaxSegments     uint16
	Pad             [2]uint8
}

// params is struct ublk_params up to the segment limits; a kernel with a shorter struct
// clamps Len to its own size, one with a longer one reads only what Len covers.
type params struct {
	Len     uint32
	Types   uint32
	Basic   paramBasic
	Discard paramDiscard
	Devt    paramDevt
	Zoned   paramZoned
	DMA     paramDMAAlign
	Seg     paramSegment
}
