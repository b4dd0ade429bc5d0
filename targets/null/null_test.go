package null

import (
	"testing"

	"github.com/dadi-dev/dadi/ublk"
	"github.com/dadi-dev/dadi/ublk/ublktest"
	"github.com/stretchr/testify/require"
)

func TestDispatchNullAllocatesNothing(t *testing.T) {
	h := ublktest.HostQueue(t, New(1<<30), 4, 64<<10)
	require.Equal(t, int32(4096), ublktest.Serve(t, h, 1, ublk.OpRead, 8192, 4096))
	allocs := testing.AllocsPerRun(500, func() {
		ublktest.Serve(t, h, 2, ublk.OpRead, 4096, 4096)
		ublktest.Serve(t, h, 3, ublk.OpWrite, 0, 65536)
	})
	require.Zero(t, allocs, "per-request dispatch must not allocate")
}
