package ublk

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Config describes a device to create.
type Config struct {
	ID       int   // wanted device number, or -1 for the next free one
	Queues   int   // hardware queues, each served by its own pinned thread
	Depth    int   // tags per queue
	MaxIO    int   // largest request in bytes (a multiple of 4096)
	CPUs     []int // if set, queue i is pinned to CPUs[i % len(CPUs)]; else to the kernel's queue affinity
	NoPin    bool  // leave queue threads unpinned (for comparing pinned and unpinned runs)
	ReadOnly bool
	Recovery bool   // UBLK_F_USER_RECOVERY with REISSUE: the device outlives a crashed daemon
	Kind     uint64 // opaque tag stored in the kernel's device info (dadi's target kind)
	Target   Target
	Logger   *slog.Logger
}

// Defaults for Config fields left zero.
const (
	DefaultQueues = 1
	DefaultDepth  = 128
	DefaultMaxIO  = 512 << 10
)

func (c *Config) applyDefaults() {
	if c.Queues == 0 {
		c.Queues = DefaultQueues
	}
	if c.Depth == 0 {
		c.Depth = DefaultDepth
	}
	if c.MaxIO == 0 {
		c.MaxIO = DefaultMaxIO
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate checks a config before anything is created, so bad input leaves nothing behind.
func (c *Config) Validate() error {
	c.applyDefaults()
	if c.Target == nil {
		return errors.New("no target")
	}
	size := c.Target.Size()
	switch {
	case size <= 0:
		return fmt.Errorf("device size %d: must be positive", size)
	case size%512 != 0:
		return fmt.Errorf("device size %d: not a multiple of 512", size)
	case c.Queues < 1 || c.Queues > runtime.NumCPU():
		return fmt.Errorf("queues %d: must be between 1 and the CPU count (%d)", c.Queues, runtime.NumCPU())
	case c.Depth < 1 || c.Depth > MaxQueueDepth:
		return fmt.Errorf("depth %d: must be between 1 and %d", c.Depth, MaxQueueDepth)
	case c.MaxIO < 4096 || c.MaxIO%4096 != 0 || c.MaxIO > maxIOBufBytesUp:
		return fmt.Errorf("max I/O %d: must be a multiple of 4096 between 4 KiB and 32 MiB", c.MaxIO)
	case c.ID < -1 || c.ID >= 1<<20:
		return fmt.Errorf("device id %d: out of range", c.ID)
	}
	for _, cpu := range c.CPUs {
		if cpu < 0 || cpu >= runtime.NumCPU() {
			return fmt.Errorf("CPU %d: this machine has CPUs 0-%d", cpu, runtime.NumCPU()-1)
		}
	}
	return nil
}

// Device is a started ublk device served by this process.
type Device struct {
	ctrl   *Control
	info   DevInfo
	char   *os.File
	target Target
	queues []*Queue
	log    *slog.Logger
	panics targetPanics // recovered target panics of all queues

	wg       sync.WaitGroup
	errMu    sync.Mutex
	err      error
	stopOnce sync.Once
	stopErr  error
	done     chan struct{}
}

// ID is the device number N of /dev/ublkbN.
func (d *Device) ID() int { return int(d.info.DevID) }

// BlockPath is the block device, /dev/ublkbN.
func (d *Device) BlockPath() string { return BlockPath(d.ID()) }

// Info is the kernel's view of the device as it was created.
func (d *Device) Info() DevInfo { return d.info }

// QueueThreads lists each queue's thread id and the CPUs it is pinned to.
func (d *Device) QueueThreads() []QueueThread {
	out := make([]QueueThread, len(d.queues))
	for i, q := range d.queues {
		out[i] = QueueThread{Queue: q.id, TID: q.tid, CPUs: cpuList(&q.cpus)}
	}
	return out
}

// QueueThread says where a queue runs.
type QueueThread struct {
	Queue int
	TID   int
	CPUs  string
}

// BlockPath is /dev/ublkbN; CharPath is /dev/ublkcN.
func BlockPath(id int) string { return fmt.Sprintf("/dev/ublkb%d", id) }
func CharPath(id int) string  { return fmt.Sprintf("/dev/ublkc%d", id) }

// Create adds a device, starts its queues and exposes /dev/ublkbN. On any error nothing is
// left behind.
func Create(ctrl *Control, cfg Config) (*Device, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	flags := uint64(0)
	if ctrl.IoctlEncoded() {
		flags |= FCmdIoctlEncode
	}
	if cfg.Recovery {
		if f := ctrl.Features(); f != 0 && f&(FUserRecovery|FUserRecoveryReissue) != FUserRecovery|FUserRecoveryReissue {
			return nil, fmt.Errorf("user recovery with reissue: %w", ErrNotSupported)
		}
		flags |= FUserRecovery | FUserRecoveryReissue
	}
	id := ^uint32(0)
	if cfg.ID >= 0 {
		id = uint32(cfg.ID)
	}
	info := DevInfo{
		NrHWQueues:    uint16(cfg.Queues),
		QueueDepth:    uint16(cfg.Depth),
		MaxIOBufBytes: uint32(cfg.MaxIO),
		DevID:         id,
		UblksrvPID:    int32(os.Getpid()),
		Flags:         flags,
		UblksrvFlags:  cfg.Kind,
	}
	if err := ctrl.AddDev(&info); err != nil {
		return nil, err
	}
	d := &Device{ctrl: ctrl, info: info, target: cfg.Target, log: cfg.Logger, done: make(chan struct{})}
	d.log.Debug("device added", "id", info.DevID, "flags", FeatureNames(info.Flags),
		"queues", info.NrHWQueues, "depth", info.QueueDepth, "max_io", info.MaxIOBufBytes,
		"ioctl_encoded", ctrl.IoctlEncoded())
	fail := func(err error) (*Device, error) {
		d.abort()
		return nil, err
	}
	p := deviceParams(cfg.Target.Size(), int(info.MaxIOBufBytes), cfg.ReadOnly)
	if err := ctrl.SetParams(info.DevID, &p); err != nil {
		return fail(err)
	}
	if err := d.startQueues(cfg); err != nil {
		return fail(err)
	}
	if err := ctrl.StartDev(info.DevID, os.Getpid()); err != nil {
		return fail(err)
	}
	if err := waitOpenable(d.BlockPath(), 5*time.Second); err != nil {
		return fail(err)
	}
	return d, nil
}

// Recover re-attaches this process to device id, created with Recovery, whose daemon died.
// Requests in flight at the crash are re-issued to the new queues.
func Recover(ctrl *Control, id int, cfg Config) (*Device, error) {
	cfg.ID = id
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	info, err := ctrl.GetDevInfo(uint32(id))
	if err != nil {
		return nil, err
	}
	if info.Flags&FUserRecovery == 0 {
		return nil, fmt.Errorf("device %d was not created with --recovery; it cannot be re-attached", id)
	}
	p, err := ctrl.GetParams(uint32(id))
	if err == nil && p.Basic.DevSectors<<9 != uint64(cfg.Target.Size()) {
		return nil, fmt.Errorf("device %d is %d bytes but the target is %d bytes", id, p.Basic.DevSectors<<9, cfg.Target.Size())
	}
	// The kernel quiesces the device once it notices the old daemon is gone; until then
	// START_USER_RECOVERY answers EBUSY.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = ctrl.StartUserRecovery(uint32(id))
		if err == nil || !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return nil, err
	}
	cfg.Queues, cfg.Depth, cfg.MaxIO = int(info.NrHWQueues), int(info.QueueDepth), int(info.MaxIOBufBytes)
	info.UblksrvPID = int32(os.Getpid())
	d := &Device{ctrl: ctrl, info: info, target: cfg.Target, log: cfg.Logger, done: make(chan struct{})}
	if err := d.startQueues(cfg); err != nil {
		d.closeQueues()
		return nil, err
	}
	if err := ctrl.EndUserRecovery(uint32(id), os.Getpid()); err != nil {
		d.closeQueues()
		return nil, err
	}
	return d, nil
}

func deviceParams(size int64, maxIO int, readOnly bool) params {
	p := params{Types: paramTypeBasic | paramTypeDiscard}
	p.Basic = paramBasic{
		// A volatile cache makes the kernel send FLUSH, which targets turn into fdatasync.
		Attrs:           attrVolatileCache,
		LogicalBSShift:  9,
		PhysicalBSShift: 12,
		IOOptShift:      12,
		IOMinShift:      9,
		MaxSectors:      uint32(maxIO >> 9),
		DevSectors:      uint64(size >> 9),
	}
	if readOnly {
		p.Basic.Attrs |= attrReadOnly
		p.Types = paramTypeBasic
		return p
	}
	p.Discard = paramDiscard{
		DiscardGranularity:    4096,
		MaxDiscardSectors:     ^uint32(0) >> 9,
		MaxWriteZeroesSectors: ^uint32(0) >> 9,
		MaxDiscardSegments:    1,
	}
	return p
}

func (d *Device) startQueues(cfg Config) error {
	char, err := openRetry(CharPath(int(d.info.DevID)), 5*time.Second)
	if err != nil {
		return err
	}
	d.char = char
	for i := 0; i < cfg.Queues; i++ {
		q := &Queue{
			id: i, depth: cfg.Depth, maxIO: cfg.MaxIO, charFd: int(char.Fd()),
			ioctl: d.info.Flags&FCmdIoctlEncode != 0, log: d.log, panics: &d.panics,
		}
		if cfg.NoPin {
			// An empty set leaves the thread wherever the scheduler puts it.
		} else if len(cfg.CPUs) > 0 {
			q.cpus.Set(cfg.CPUs[i%len(cfg.CPUs)])
		} else if set, err := d.ctrl.QueueAffinity(d.info.DevID, uint16(i)); err == nil {
			q.cpus = set
		} else {
			d.log.Warn("queue affinity unknown; not pinning", "queue", i, "err", err)
		}
		ready := make(chan error, 1)
		d.wg.Add(1)
		go q.run(cfg.Target, ready, d.queueDone)
		if err := <-ready; err != nil {
			return err
		}
		d.queues = append(d.queues, q)
	}
	go func() {
		d.wg.Wait()
		close(d.done)
	}()
	return nil
}

func (d *Device) queueDone(err error) {
	if err != nil {
		d.errMu.Lock()
		if d.err == nil {
			d.err = err
		}
		d.errMu.Unlock()
	}
	d.wg.Done()
}

// Done is closed once every queue has stopped: the device was stopped here or elsewhere
// (`dadi stop`), or a queue failed.
func (d *Device) Done() <-chan struct{} { return d.done }

// TargetPanics is how many requests the target panicked on. Each was answered with EIO and
// the device kept serving; a non-zero count means a bug, which the log shows with its stack.
func (d *Device) TargetPanics() int64 { return d.panics.Count() }

// Err is the first queue error, if any.
func (d *Device) Err() error {
	d.errMu.Lock()
	defer d.errMu.Unlock()
	return d.err
}

// Stop removes /dev/ublkbN, waits for the queues to finish, and deletes the device.
func (d *Device) Stop() error {
	d.stopOnce.Do(func() {
		err := d.ctrl.StopDev(d.info.DevID)
		if err != nil && !errors.Is(err, syscall.ENODEV) {
			d.log.Warn("stop device", "id", d.info.DevID, "err", err)
		}
		d.closeQueues()
		// DEL_DEV returns only once every opener of /dev/ublkbN has closed it; say so if that
		// is what the daemon is waiting for.
		slow := time.AfterFunc(2*time.Second, func() {
			d.log.Warn("waiting for the block device's users to close it before deleting it", "device", d.BlockPath())
		})
		if err := d.ctrl.DelDev(d.info.DevID); err != nil && !errors.Is(err, syscall.ENODEV) {
			d.stopErr = err
		}
		slow.Stop()
		if err := d.target.Close(); err != nil && d.stopErr == nil {
			d.stopErr = err
		}
	})
	return d.stopErr
}

// closeQueues waits for the queue goroutines (their fetches are aborted by STOP_DEV or by
// closing their rings) and closes the char device.
func (d *Device) closeQueues() {
	if len(d.queues) > 0 {
		// STOP_DEV aborts every fetched tag; a device that never started needs it too.
		d.ctrl.StopDev(d.info.DevID)
		d.wg.Wait()
	}
	if d.char != nil {
		d.char.Close()
		d.char = nil
	}
}

// abort undoes a half-made device.
func (d *Device) abort() {
	d.closeQueues()
	if err := d.ctrl.DelDev(d.info.DevID); err != nil {
		d.log.Warn("delete half-made device", "id", d.info.DevID, "err", err)
	}
}

func openRetry(path string, timeout time.Duration) (*os.File, error) {
	deadline := time.Now().Add(timeout)
	for {
		f, err := os.OpenFile(path, os.O_RDWR|syscall.O_CLOEXEC, 0)
		if err == nil || !errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			return f, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitOpenable(path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not appear: %w", path, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
