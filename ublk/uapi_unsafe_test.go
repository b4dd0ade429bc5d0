package ublk

import (
	"testing"
	"unsafe"
)

// Layouts must match include/uapi/linux/ublk_cmd.h byte for byte.
func TestUAPILayout(t *testing.T) {
	var (
		c  ctrlCmd
		d  DevInfo
		io ioCmd
		ds ioDesc
		b  paramBasic
		p  params
	)
	checks := []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(ublksrv_ctrl_cmd)", unsafe.Sizeof(c), sizeofCtrlCmd},
		{"ctrl_cmd.queue_id", unsafe.Offsetof(c.QueueID), 4},
		{"ctrl_cmd.len", unsafe.Offsetof(c.Len), 6},
		{"ctrl_cmd.addr", unsafe.Offsetof(c.Addr), 8},
		{"ctrl_cmd.data", unsafe.Offsetof(c.Data), 16},
		{"ctrl_cmd.dev_path_len", unsafe.Offsetof(c.DevPathLen), 24},
		{"sizeof(ublksrv_ctrl_dev_info)", unsafe.Sizeof(d), sizeofDevInfo},
		{"dev_info.state", unsafe.Offsetof(d.State), 4},
		{"dev_info.max_io_buf_bytes", unsafe.Offsetof(d.MaxIOBufBytes), 8},
		{"dev_info.dev_id", unsafe.Offsetof(d.DevID), 12},
		{"dev_info.ublksrv_pid", unsafe.Offsetof(d.UblksrvPID), 16},
		{"dev_info.flags", unsafe.Offsetof(d.Flags), 24},
		{"dev_info.ublksrv_flags", unsafe.Offsetof(d.UblksrvFlags), 32},
		{"dev_info.owner_uid", unsafe.Offsetof(d.OwnerUID), 40},
		{"dev_info.reserved1", unsafe.Offsetof(d.Reserved1), 48},
		{"sizeof(ublksrv_io_cmd)", unsafe.Sizeof(io), sizeofIOCmd},
		{"io_cmd.tag", unsafe.Offsetof(io.Tag), 2},
		{"io_cmd.result", unsafe.Offsetof(io.Result), 4},
		{"io_cmd.addr", unsafe.Offsetof(io.Addr), 8},
		{"sizeof(ublksrv_io_desc)", unsafe.Sizeof(ds), sizeofIODesc},
		{"io_desc.nr_sectors", unsafe.Offsetof(ds.NrSectors), 4},
		{"io_desc.start_sector", unsafe.Offsetof(ds.StartSector), 8},
		{"io_desc.addr", unsafe.Offsetof(ds.Addr), 16},
		{"sizeof(ublk_param_basic)", unsafe.Sizeof(b), 32},
		{"basic.max_sectors", unsafe.Offsetof(b.MaxSectors), 8},
		{"basic.dev_sectors", unsafe.Offsetof(b.DevSectors), 16},
		{"sizeof(ublk_param_discard)", unsafe.Sizeof(paramDiscard{}), 20},
		{"sizeof(ublk_param_devt)", unsafe.Sizeof(paramDevt{}), 16},
		{"sizeof(ublk_param_zoned)", unsafe.Sizeof(paramZoned{}), 32},
		{"sizeof(ublk_param_dma_align)", unsafe.Sizeof(paramDMAAlign{}), 8},
		{"sizeof(ublk_param_segment)", unsafe.Sizeof(paramSegment{}), 16},
		{"params.basic", unsafe.Offsetof(p.Basic), 8},
		{"params.discard", unsafe.Offsetof(p.Discard), 40},
		{"params.devt", unsafe.Offsetof(p.Devt), 60},
		{"params.zoned", unsafe.Offsetof(p.Zoned), 76},
		{"params.dma", unsafe.Offsetof(p.DMA), 108},
		{"params.seg", unsafe.Offsetof(p.Seg), 120},
		{"sizeof(ublk_params) up to seg", unsafe.Sizeof(p), sizeofParams},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

// The ioctl-encoded opcodes as the kernel header spells them.
func TestIoctlEncoding(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uint32
	}{
		{"UBLK_U_CMD_GET_QUEUE_AFFINITY", ctrlOp(cmdGetQueueAffinity, true), 0x80207501},
		{"UBLK_U_CMD_ADD_DEV", ctrlOp(cmdAddDev, true), 0xc0207504},
		{"UBLK_U_CMD_GET_FEATURES", ctrlOp(cmdGetFeatures, true), 0x80207513},
		{"UBLK_U_IO_FETCH_REQ", ioOp(ioFetchReq, true), 0xc0107520},
		{"UBLK_U_IO_COMMIT_AND_FETCH_REQ", ioOp(ioCommitAndFetchReq, true), 0xc0107521},
		{"UBLK_IO_FETCH_REQ (legacy)", ioOp(ioFetchReq, false), 0x20},
		{"UBLK_CMD_START_DEV (legacy)", ctrlOp(cmdStartDev, false), 0x06},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}
