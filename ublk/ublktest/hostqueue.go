package ublktest

import (
	"log/slog"
	"testing"

	"github.com/dadi-dev/dadi/ublk"
	"github.com/stretchr/testify/require"
)

// HostQueue serves target on a host queue of depth tags with maxIO-byte buffers, closed when
// the test ends.
func HostQueue(t testing.TB, target ublk.Target, depth, maxIO int) *ublk.HostQueue {
	t.Helper()
	h, err := ublk.NewHostQueue(target, depth, maxIO, slog.Default())
	require.NoError(t, err)
	t.Cleanup(h.Close)
	return h
}

// Serve runs one request through h and returns the result the queue committed. It allocates
// nothing, so tests measure the target's allocations around it.
func Serve(t testing.TB, h *ublk.HostQueue, tag uint16, op ublk.Op, off int64, n uint32) int32 {
	res, err := h.Serve(tag, op, off, n)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
