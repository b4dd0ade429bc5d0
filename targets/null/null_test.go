package null

import (
	"log/slog"
	"testing"

	"github.com/dadi-dev/dadi/ublk"
	"github.com/stretchr/testify/require"
)

func TestDispatchNullAllocatesNothing(t *testing.T) {
	h, err := ublk.NewHostQueue(New(1<<30), 4, 64<<10, slog.Default())
	require.NoError(t, err)
	defer h.Close()
	serve := func(tag uint16, op ublk.Op, off int64, n uint32) int32 {
		res, err := h.Serve(tag, op, off, n)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	require.Equal(t, int32(4096), serve(1, ublk.OpRead, 8192, 4096))
	allocs := testing.AllocsPerRun(500, func() {
		serve(2, ublk.OpRead, 4096, 4096)
		serve(3, ublk.OpWrite, 0, 65536)
	})
	require.Zero(t, allocs, "per-request dispatch must not allocate")
}
