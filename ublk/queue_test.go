package ublk

import (
	"log/slog"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// newHostQueue builds a queue on the host kernel without a ublk device (HostQueue), closed
// when the test ends. The queue's tests reach into h.q.
func newHostQueue(t testing.TB, target Target, depth, maxIO int) *HostQueue {
	t.Helper()
	h, err := NewHostQueue(target, depth, maxIO, slog.Default())
	require.NoError(t, err)
	t.Cleanup(h.Close)
	return h
}

// serve runs one request for tag through the queue as the loop would, and returns the result
// the queue committed.
func serve(t testing.TB, h *HostQueue, tag uint16, op Op, off int64, length uint32) int32 {
	res, err := h.Serve(tag, op, off, length)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// instantTarget answers reads and writes at once with their length and every other request
// with 0, touching no data: the queue's own tests need a target without importing one from
// targets/, which imports this package.
type instantTarget struct{}

func (instantTarget) Size() int64                                { return 1 << 30 }
func (instantTarget) Close() error                               { return nil }
func (instantTarget) NewQueue(QueueContext) (QueueTarget, error) { return instantTarget{}, nil }
func (instantTarget) Complete(uint16, *Request, int32) (int32, bool) {
	return -int32(unix.EIO), true // it submits nothing
}

func (instantTarget) Handle(_ uint16, req *Request) (int32, bool) {
	if req.Op == OpRead || req.Op == OpWrite {
		return int32(req.Length), true
	}
	return 0, true
}

// The queue's own dispatch and commit allocate nothing per request (with the null target:
// targets/null's TestDispatchNullAllocatesNothing).
func TestDispatchAllocatesNothing(t *testing.T) {
	h := newHostQueue(t, instantTarget{}, 4, 64<<10)
	require.Equal(t, int32(4096), serve(t, h, 1, OpRead, 8192, 4096))
	allocs := testing.AllocsPerRun(500, func() {
		serve(t, h, 2, OpRead, 4096, 4096)
		serve(t, h, 3, OpWrite, 0, 65536)
		serve(t, h, 0, OpFlush, 0, 0)
	})
	require.Zero(t, allocs, "per-request dispatch must not allocate")
}

func TestOversizedRequestIsEIO(t *testing.T) {
	h := newHostQueue(t, instantTarget{}, 2, 4096)
	require.Equal(t, -int32(unix.EIO), serve(t, h, 0, OpRead, 0, 8192))
}

func TestResultMapsErrors(t *testing.T) {
	require.Equal(t, int32(0), Result(nil))
	require.Equal(t, -int32(unix.ENOSPC), Result(unix.ENOSPC))
	require.Equal(t, -int32(unix.EIO), Result(os.ErrClosed))
}

func TestParseCPUList(t *testing.T) {
	got, err := ParseCPUList("0-2,5")
	require.NoError(t, err)
	require.Equal(t, []int{0, 1, 2, 5}, got)
	for _, bad := range []string{"", "a", "3-1", "-1"} {
		_, err := ParseCPUList(bad)
		require.Error(t, err, bad)
	}
	var s unix.CPUSet
	s.Set(0)
	s.Set(1)
	s.Set(2)
	s.Set(5)
	require.Equal(t, "0-2,5", cpuList(&s))
}
