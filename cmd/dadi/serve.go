package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/dadi-dev/dadi/targets/file"
	"github.com/dadi-dev/dadi/targets/null"
	"github.com/dadi-dev/dadi/ublk"
	"github.com/spf13/cobra"
)

type serveOptions struct {
	null     string
	file     string
	config   string
	global   string // --global-config (pull.go)
	queues   int
	depth    int
	maxIO    string
	cpus     string
	id       int
	readOnly bool
	recovery bool
	recover  int
	cpuProf  string
}

func newServeCmd() *cobra.Command {
	o := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve (--null SIZE | --file PATH | --config CONFIG.json) [flags]",
		Short: "Serve a block device in the foreground until SIGINT/SIGTERM",
		Long: `Serve a block device through ublk in the foreground. Once /dev/ublkbN can be opened,
one line "ready /dev/ublkbN" is printed on stdout. SIGINT or SIGTERM stop and delete the device.

With --recovery the device outlives a crashed daemon: requests in flight are re-issued once
"dadi serve --recover N" (with the same target) re-attaches to it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runServe(cmd, &o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.null, "null", "", "serve a null device of this size (reads return no data, writes are dropped; 512 to 4096P, a multiple of 512)")
	f.StringVar(&o.file, "file", "", "serve this file or block device (like the kernel loop driver)")
	f.StringVar(&o.config, "config", "", "serve an overlaybd image described by this config.v1.json")
	f.StringVar(&o.global, "global-config", "", "node-wide config for remote layers: cache, credentials, P2P (default /etc/overlaybd/overlaybd.json)")
	f.IntVar(&o.queues, "queues", ublk.DefaultQueues, "hardware queues, each on its own pinned thread (1 to the CPU count)")
	f.IntVar(&o.depth, "depth", ublk.DefaultDepth, "requests in flight per queue (1 to 4096)")
	f.StringVar(&o.maxIO, "max-io", "512K", "largest request size (4K to 32M, a multiple of 4K)")
	f.StringVar(&o.cpus, "cpus", "", "pin queue i to the i-th CPU of this list (e.g. 0-3), or none to leave queues unpinned; default: the kernel's queue affinity")
	f.IntVar(&o.id, "id", -1, "device number N of /dev/ublkbN, 0 to 1048575 (default: the next free one)")
	f.BoolVar(&o.readOnly, "read-only", false, "expose a read-only device")
	f.BoolVar(&o.recovery, "recovery", false, "let the device survive a daemon crash (UBLK_F_USER_RECOVERY, requests re-issued)")
	f.IntVar(&o.recover, "recover", -1, "re-attach to device N (0 to 1048575), created with --recovery, whose daemon died")
	f.StringVar(&o.cpuProf, "cpuprofile", "", "write a Go CPU profile of the daemon to this file until it stops (for `go tool pprof`)")
	return cmd
}

func (o *serveOptions) deviceConfig(log *slog.Logger) (ublk.Config, error) {
	maxIO, err := maxIOBytes(o.maxIO)
	if err != nil {
		return ublk.Config{}, err
	}
	// ublk.Config reads zero as "default"; on the command line a zero is a mistake.
	for _, c := range []struct {
		flag      string
		v, lo, hi int
	}{
		{"--queues", o.queues, 1, runtime.NumCPU()},
		{"--depth", o.depth, 1, ublk.MaxQueueDepth},
		{"--id", o.id, -1, maxDeviceID},
		{"--recover", o.recover, -1, maxDeviceID},
	} {
		if err := checkInt(c.flag, c.v, c.lo, c.hi); err != nil {
			return ublk.Config{}, err
		}
	}
	cfg := ublk.Config{
		ID: o.id, Queues: o.queues, Depth: o.depth, MaxIO: maxIO,
		ReadOnly: o.readOnly, Recovery: o.recovery, Logger: log,
	}
	if o.cpus == "none" {
		cfg.NoPin = true
	} else if o.cpus != "" {
		if cfg.CPUs, err = ublk.ParseCPUList(o.cpus); err != nil {
			return cfg, fmt.Errorf("--cpus: %w", err)
		}
	}
	return cfg, nil
}

// openTarget makes the target the flags ask for, with its kind and a description for `list`.
func (o *serveOptions) openTarget() (ublk.Target, uint64, string, error) {
	n := 0
	for _, s := range []string{o.null, o.file, o.config} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return nil, 0, "", errors.New("give exactly one of --null SIZE, --file PATH, --config CONFIG.json")
	}
	switch {
	case o.null != "":
		size, err := parseFlagSize("--null", o.null, diskSize)
		if err != nil {
			return nil, 0, "", err
		}
		return null.New(size), kindNull, "null", nil
	case o.file != "":
		t, err := file.Open(o.file, o.readOnly)
		if err != nil {
			return nil, 0, "", err
		}
		if t.Size() == 0 || t.Size()%512 != 0 {
			t.Close()
			return nil, 0, "", fmt.Errorf("backing file %s is %d bytes: size must be a positive multiple of 512", o.file, t.Size())
		}
		return t, kindFile, "file:" + o.file, nil
	default:
		return openImageTarget(o)
	}
}

func runServe(cmd *cobra.Command, o *serveOptions) error {
	log := slog.Default()
	if o.cpuProf != "" {
		stop, err := startCPUProfile(o.cpuProf, serveInputs(o)...)
		if err != nil {
			return err
		}
		defer stop()
	}
	cfg, err := o.deviceConfig(log)
	if err != nil {
		return err
	}
	target, kind, desc, err := o.openTarget()
	if err != nil {
		return err
	}
	if testWrapTarget != nil {
		target = testWrapTarget(target)
	}
	cfg.Target, cfg.Kind = target, kind
	cfg.ReadOnly = o.readOnly // an image without an upper layer turns this on
	if err := cfg.Validate(); err != nil {
		target.Close()
		return err
	}
	ctrl, err := ublk.OpenControl()
	if err != nil {
		target.Close()
		return err
	}
	defer ctrl.Close()
	log.Debug("kernel ublk", "features", ublk.FeatureNames(ctrl.Features()), "ioctl_encoded", ctrl.IoctlEncoded())

	// Stop signals are caught before the device exists, so one arriving during setup still
	// leads to a clean delete instead of an orphaned device.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	var dev *ublk.Device
	if o.recover >= 0 {
		dev, err = ublk.Recover(ctrl, o.recover, cfg)
	} else {
		dev, err = ublk.Create(ctrl, cfg)
	}
	if err != nil {
		target.Close()
		return err
	}
	id := dev.ID()
	if err := writeState(deviceState{ID: id, PID: os.Getpid(), Target: desc}); err != nil {
		log.Warn("could not record device state", "err", err)
	}
	defer removeState(id)
	info := dev.Info()
	log.Debug("device", "id", id, "flags", ublk.FeatureNames(info.Flags), "queues", info.NrHWQueues,
		"depth", info.QueueDepth, "max_io", info.MaxIOBufBytes)
	for _, q := range dev.QueueThreads() {
		log.Debug("queue placement", "queue", q.Queue, "tid", q.TID, "cpus", q.CPUs)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "ready %s\n", dev.BlockPath())

	select {
	case s := <-sigs:
		log.Info("stopping", "signal", s.String(), "device", dev.BlockPath())
	case <-dev.Done():
		log.Info("device stopped from outside", "device", dev.BlockPath())
	}
	if err := dev.Stop(); err != nil {
		return err
	}
	if err := dev.Err(); err != nil {
		return err
	}
	return targetPanicsError(dev.TargetPanics())
}
