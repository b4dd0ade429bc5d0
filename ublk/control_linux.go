package ublk

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"github.com/dadi-dev/dadi/internal/errs"
	"github.com/dadi-dev/dadi/uring"
	"golang.org/x/sys/unix"
)

// ControlPath is the ublk control device.
const ControlPath = "/dev/ublk-control"

// ErrNotSupported says the running kernel lacks ublk or a ublk feature dadi needs.
var ErrNotSupported = fmt.Errorf("%w by this kernel", errs.ErrNotSupported)

// Control speaks to /dev/ublk-control. Control commands are 128-byte URING_CMDs, answered
// synchronously; one small ring serves them, guarded by a mutex so any goroutine may ask.
type Control struct {
	mu       sync.Mutex
	file     *os.File
	ring     *uring.Ring
	features uint64 // what GET_FEATURES reported; 0 on kernels without it
	ioctl    bool   // use ioctl-encoded opcodes
}

// OpenControl opens the control device and probes the kernel's features.
func OpenControl() (*Control, error) {
	f, err := os.OpenFile(ControlPath, os.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("ublk is not available: %s is missing (load it with `modprobe ublk_drv`; needs Linux 6.0+ built with CONFIG_BLK_DEV_UBLK): %w", ControlPath, ErrNotSupported)
		}
		return nil, fmt.Errorf("open %s: %w", ControlPath, err)
	}
	r, err := uring.New(4, uring.Options{Flags: uring.SetupSQE128})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("ublk control ring: %w", err)
	}
	c := &Control{file: f, ring: r}
	// GET_FEATURES exists only in ioctl form; a kernel that knows it also accepts ioctl-encoded
	// commands. Older kernels (before 6.5 or so) answer EINVAL/EOPNOTSUPP: use legacy opcodes.
	var feat uint64
	if _, err := c.do(cmdGetFeatures, ctrlCmd{DevID: ^uint32(0), QueueID: ^uint16(0)}, u64Bytes(&feat), true); err == nil {
		c.features = feat
		c.ioctl = feat&FCmdIoctlEncode != 0
	}
	return c, nil
}

// Close releases the control device.
func (c *Control) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ring != nil {
		c.ring.Close()
		c.ring = nil
	}
	return c.file.Close()
}

// Features is what the kernel's ublk driver supports (0 when it predates GET_FEATURES).
func (c *Control) Features() uint64 { return c.features }

// IoctlEncoded tells whether commands use the ioctl encoding (else the legacy opcodes).
func (c *Control) IoctlEncoded() bool { return c.ioctl }

// do sends one control command and waits for its answer. buf, if any, is the command's data
// buffer (its address and length go in the command).
func (c *Control) do(nr uint32, cmd ctrlCmd, buf []byte, forceIoctl bool) (int32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ring == nil {
		return 0, os.ErrClosed
	}
	sqe := c.ring.GetSQE()
	if sqe == nil {
		return 0, uring.ErrRingFull
	}
	sqe.PrepURingCmd(int32(c.file.Fd()), ctrlOp(nr, c.ioctl || forceIoctl))
	if len(buf) > 0 {
		cmd.Addr = bufAddr(buf)
		cmd.Len = uint16(len(buf))
	}
	putCtrlCmd(c.ring.Cmd(sqe), &cmd)
	cqe, err := c.ring.WaitCQE()
	if err != nil {
		return 0, err
	}
	res := cqe.Res
	c.ring.CQAdvance(1)
	keepAlive(buf)
	if res < 0 {
		return res, fmt.Errorf("ublk %s: %w", ctrlName(nr), syscall.Errno(-res))
	}
	return res, nil
}

// AddDev creates a device; info carries the wanted id (^0 for any), queues, depth, max I/O
// size and flags, and comes back as the kernel settled it.
func (c *Control) AddDev(info *DevInfo) error {
	buf := devInfoBytes(info)
	_, err := c.do(cmdAddDev, ctrlCmd{DevID: info.DevID, QueueID: ^uint16(0)}, buf, false)
	return err
}

// DelDev deletes device id; the kernel waits until its char device is closed.
func (c *Control) DelDev(id uint32) error {
	_, err := c.do(cmdDelDev, ctrlCmd{DevID: id, QueueID: ^uint16(0)}, nil, false)
	return err
}

// StartDev exposes /dev/ublkbN. It blocks until every queue has fetched all its tags, and
// during it the kernel already reads the disk (partition scan), so queues must be serving.
func (c *Control) StartDev(id uint32, pid int) error {
	_, err := c.do(cmdStartDev, ctrlCmd{DevID: id, QueueID: ^uint16(0), Data: uint64(pid)}, nil, false)
	return err
}

// StopDev removes /dev/ublkbN and aborts the queues' pending fetches.
func (c *Control) StopDev(id uint32) error {
	_, err := c.do(cmdStopDev, ctrlCmd{DevID: id, QueueID: ^uint16(0)}, nil, false)
	return err
}

// SetParams sets the device's block parameters (before StartDev).
func (c *Control) SetParams(id uint32, p *params) error {
	p.Len = sizeofParams
	_, err := c.do(cmdSetParams, ctrlCmd{DevID: id, QueueID: ^uint16(0)}, paramsBytes(p), false)
	return err
}

// GetParams reads the device's block parameters.
func (c *Control) GetParams(id uint32) (params, error) {
	var p params
	p.Len = sizeofParams
	_, err := c.do(cmdGetParams, ctrlCmd{DevID: id, QueueID: ^uint16(0)}, paramsBytes(&p), false)
	return p, err
}

// GetDevInfo reads a device's settings and state.
func (c *Control) GetDevInfo(id uint32) (DevInfo, error) {
	var info DevInfo
	_, err := c.do(cmdGetDevInfo, ctrlCmd{DevID: id, QueueID: ^uint16(0)}, devInfoBytes(&info), false)
	return info, err
}

// QueueAffinity is the set of CPUs whose I/O the kernel sends to queue q.
func (c *Control) QueueAffinity(id uint32, q uint16) (unix.CPUSet, error) {
	var set unix.CPUSet
	_, err := c.do(cmdGetQueueAffinity, ctrlCmd{DevID: id, QueueID: ^uint16(0), Data: uint64(q)}, cpuSetBytes(&set), false)
	return set, err
}

// StartUserRecovery begins re-attaching a device whose daemon died (UBLK_F_USER_RECOVERY).
func (c *Control) StartUserRecovery(id uint32) error {
	_, err := c.do(cmdStartUserRecovery, ctrlCmd{DevID: id, QueueID: ^uint16(0)}, nil, false)
	return err
}

// EndUserRecovery finishes re-attaching; like StartDev it waits for all tags to be fetched.
func (c *Control) EndUserRecovery(id uint32, pid int) error {
	_, err := c.do(cmdEndUserRecovery, ctrlCmd{DevID: id, QueueID: ^uint16(0), Data: uint64(pid)}, nil, false)
	return err
}

func ctrlName(nr uint32) string {
	switch nr {
	case cmdGetQueueAffinity:
		return "GET_QUEUE_AFFINITY"
	case cmdGetDevInfo:
		return "GET_DEV_INFO"
	case cmdAddDev:
		return "ADD_DEV"
	case cmdDelDev:
		return "DEL_DEV"
	case cmdStartDev:
		return "START_DEV"
	case cmdStopDev:
		return "STOP_DEV"
	case cmdSetParams:
		return "SET_PARAMS"
	case cmdGetParams:
		return "GET_PARAMS"
	case cmdStartUserRecovery:
		return "START_USER_RECOVERY"
	case cmdEndUserRecovery:
		return "END_USER_RECOVERY"
	case cmdGetDevInfo2:
		return "GET_DEV_INFO2"
	case cmdGetFeatures:
		return "GET_FEATURES"
	}
	return fmt.Sprintf("cmd %#x", nr)
}
