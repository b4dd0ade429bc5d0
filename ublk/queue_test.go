package ublk

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/dadi-dev/dadi/uring"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// newHostQueue builds a queue on the host kernel without a ublk device: a real ring, real
// buffers, and a descriptor array the test fills in as the kernel would. Commands meant for
// /dev/ublkcN fail with EBADF (no fixed file), which the tests read as "committed".
func newHostQueue(t testing.TB, target Target, depth, maxIO int) *Queue {
	t.Helper()
	r, err := uring.New(uint32(2*depth), uring.Options{})
	require.NoError(t, err)
	buf, err := unix.Mmap(-1, 0, depth*maxIO, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	require.NoError(t, err)
	q := &Queue{id: 0, depth: depth, maxIO: maxIO, ring: r, bufMem: buf, descs: make([]ioDesc, depth),
		reqs: make([]Request, depth), tags: make([]tagState, depth), log: slog.Default(), active: depth}
	qt, err := target.NewQueue(q)
	require.NoError(t, err)
	q.target = qt
	t.Cleanup(func() { q.teardown() })
	return q
}

// serve runs one request for tag through the queue as the loop would, and returns the result
// the queue committed.
func serve(t testing.TB, q *Queue, tag uint16, op Op, off int64, length uint32) int32 {
	q.descs[tag] = ioDesc{OpFlags: uint32(op), NrSectors: length >> 9, StartSector: uint64(off >> 9)}
	q.handleCQE(uint64(tag), ioResOK)
	for {
		if _, err := q.ring.SubmitAndWait(1); err != nil {
			t.Fatal(err)
		}
		for c := q.ring.PeekCQE(); c != nil; c = q.ring.PeekCQE() {
			ud, res := c.UserData, c.Res
			q.ring.CQAdvance(1)
			if (ud>>kindShift)&0xff == kindTarget {
				q.handleCQE(ud, res)
				continue
			}
			// The commit SQE carries the result in its command; we read it back from there.
			return q.lastCommit
		}
	}
}

func TestDispatchNullAllocatesNothing(t *testing.T) {
	q := newHostQueue(t, NewNullTarget(1<<30), 4, 64<<10)
	require.Equal(t, int32(4096), serve(t, q, 1, OpRead, 8192, 4096))
	allocs := testing.AllocsPerRun(500, func() {
		serve(t, q, 2, OpRead, 4096, 4096)
		serve(t, q, 3, OpWrite, 0, 65536)
	})
	require.Zero(t, allocs, "per-request dispatch must not allocate")
}

func TestFileTargetThroughQueueRing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "disk")
	require.NoError(t, os.WriteFile(path, make([]byte, 1<<20), 0o600))
	ft, err := OpenFileTarget(path, false)
	require.NoError(t, err)
	defer ft.Close()
	q := newHostQueue(t, ft, 4, 64<<10)

	pattern := bytes.Repeat([]byte("0123456789abcdef"), 4096/16)
	copy(q.bufMem[0:], pattern)
	require.Equal(t, int32(4096), serve(t, q, 0, OpWrite, 12288, 4096))
	require.Equal(t, int32(0), serve(t, q, 0, OpFlush, 0, 0))
	onDisk, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, pattern, onDisk[12288:16384])

	clear(q.bufMem[64<<10 : 64<<10+4096])
	require.Equal(t, int32(4096), serve(t, q, 1, OpRead, 12288, 4096))
	require.Equal(t, pattern, q.bufMem[64<<10:64<<10+4096])

	require.Equal(t, int32(0), serve(t, q, 2, OpWriteZeroes, 12288, 4096))
	require.Equal(t, int32(4096), serve(t, q, 1, OpRead, 12288, 4096))
	require.Equal(t, make([]byte, 4096), q.bufMem[64<<10:64<<10+4096])

	allocs := testing.AllocsPerRun(200, func() {
		serve(t, q, 3, OpRead, 4096, 4096)
	})
	require.Zero(t, allocs, "file target read path must not allocate")
}

func TestOversizedRequestIsEIO(t *testing.T) {
	q := newHostQueue(t, NewNullTarget(1<<30), 2, 4096)
	require.Equal(t, -int32(unix.EIO), serve(t, q, 0, OpRead, 0, 8192))
}

func TestReadOnlyFileTargetRefusesWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro")
	require.NoError(t, os.WriteFile(path, make([]byte, 8192), 0o400))
	ft, err := OpenFileTarget(path, true)
	require.NoError(t, err)
	defer ft.Close()
	q := newHostQueue(t, ft, 2, 4096)
	require.Equal(t, -int32(unix.EROFS), serve(t, q, 0, OpWrite, 0, 4096))
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
