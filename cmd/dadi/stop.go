package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/dadi-dev/dadi/ublk"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

func newStopCmd() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "stop N",
		Short: "Stop and delete ublk device N (asks its daemon to stop, or cleans up after a dead one)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.Atoi(args[0])
			if err != nil || id < 0 || id > maxDeviceID {
				return fmt.Errorf("bad device number %q: want 0 to %d", args[0], maxDeviceID)
			}
			if err := checkDuration("--timeout", timeout, 0, time.Hour); err != nil {
				return err
			}
			return stopDevice(id, timeout)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 15*time.Second, "how long to wait for a live daemon to stop before deleting the device itself (0 to 1h)")
	return cmd
}

func stopDevice(id int, timeout time.Duration) error {
	ctrl, err := ublk.OpenControl()
	if err != nil {
		return err
	}
	defer ctrl.Close()
	info, err := ctrl.GetDevInfo(uint32(id))
	if errors.Is(err, syscall.ENODEV) {
		return fmt.Errorf("no ublk device %d", id)
	}
	if err != nil {
		return err
	}
	// A live daemon cleans up after itself when asked: the device disappears once it has
	// drained its queues and deleted the device.
	if pid := int(info.UblksrvPID); pid > 0 && pid != os.Getpid() && processAlive(pid) {
		if err := unix.Kill(pid, unix.SIGTERM); err == nil {
			deadline := time.Now().Add(timeout)
			for time.Now().Before(deadline) {
				if _, err := os.Stat(ublk.CharPath(id)); errors.Is(err, os.ErrNotExist) {
					removeState(id)
					return nil
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	// No daemon (it was killed) or it did not answer: remove what is left ourselves.
	if err := ctrl.StopDev(uint32(id)); err != nil && !errors.Is(err, syscall.ENODEV) {
		return err
	}
	if err := ctrl.DelDev(uint32(id)); err != nil && !errors.Is(err, syscall.ENODEV) {
		return err
	}
	removeState(id)
	return nil
}
