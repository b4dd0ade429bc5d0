package ublktest

import (
	"testing"
	"time"

	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/dadi-dev/dadi/ublk"
	"github.com/stretchr/testify/require"
)

// CreateDevice creates a device from cfg, skipping the test where the kernel has no ublk. At
// the end of the test the device is stopped and its block and char devices must be gone.
func CreateDevice(t *testing.T, cfg ublk.Config) *ublk.Device {
	t.Helper()
	vmtest.RequireUblk(t)
	ctrl, err := ublk.OpenControl()
	require.NoError(t, err)
	t.Cleanup(func() { ctrl.Close() })
	dev, err := ublk.Create(ctrl, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, dev.Stop())
		require.NoError(t, vmtest.WaitGone(dev.BlockPath(), time.Minute))
		require.NoError(t, vmtest.WaitGone(ublk.CharPath(dev.ID()), time.Minute))
	})
	return dev
}
