package uring

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func newRing(t *testing.T, entries uint32, o Options) *Ring {
	t.Helper()
	r, err := New(entries, o)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}

func tempFile(t *testing.T, size int) *os.File {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(t.TempDir(), "data"), os.O_RDWR|os.O_CREATE, 0o600)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(int64(size)))
	t.Cleanup(func() { f.Close() })
	return f
}

func TestNop(t *testing.T) {
	r := newRing(t, 8, Options{Optional: SetupCoopTaskrun | SetupSingleIssuer})
	sqe := r.GetSQE()
	require.NotNil(t, sqe)
	sqe.PrepNop()
	sqe.UserData = 0xdead_beef_0001
	n, err := r.SubmitAndWait(1)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	c := r.PeekCQE()
	require.NotNil(t, c)
	require.Equal(t, uint64(0xdead_beef_0001), c.UserData)
	require.Equal(t, int32(0), c.Res)
	r.CQAdvance(1)
	require.Nil(t, r.PeekCQE())
}

func TestReadWriteFile(t *testing.T) {
	r := newRing(t, 8, Options{})
	f := tempFile(t, 1<<20)
	want := bytes.Repeat([]byte("dadi-uring-"), 1000)
	sqe := r.GetSQE()
	sqe.PrepWrite(int32(f.Fd()), want, 4096)
	sqe.UserData = 1
	c := submitOne(t, r)
	require.Equal(t, int32(len(want)), c.Res)

	onDisk := make([]byte, len(want))
	_, err := f.ReadAt(onDisk, 4096)
	require.NoError(t, err)
	require.Equal(t, want, onDisk)

	got := make([]byte, len(want))
	sqe = r.GetSQE()
	sqe.PrepRead(int32(f.Fd()), got, 4096)
	sqe.UserData = 2
	c = submitOne(t, r)
	require.Equal(t, int32(len(want)), c.Res)
	require.Equal(t, want, got)
	runtime.KeepAlive(got)
}

func TestReadErrorIsNegativeErrno(t *testing.T) {
	r := newRing(t, 4, Options{})
	sqe := r.GetSQE()
	sqe.PrepRead(-1, make([]byte, 16), 0)
	c := submitOne(t, r)
	require.Equal(t, -int32(unix.EBADF), c.Res)
}

func TestFixedBuffersAndFiles(t *testing.T) {
	r := newRing(t, 8, Options{})
	f := tempFile(t, 1<<20)
	buf, err := unix.Mmap(-1, 0, 2*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer unix.Munmap(buf)
	require.NoError(t, r.RegisterBuffers([][]byte{buf}))
	require.NoError(t, r.RegisterFiles([]int32{int32(f.Fd())}))

	copy(buf[:4096], bytes.Repeat([]byte{0x5a}, 4096))
	sqe := r.GetSQE()
	sqe.PrepWriteFixed(0, buf[:4096], 8192, 0)
	sqe.Flags |= SQEFixedFile
	c := submitOne(t, r)
	require.Equal(t, int32(4096), c.Res)

	sqe = r.GetSQE()
	sqe.PrepReadFixed(0, buf[4096:], 8192, 0)
	sqe.Flags |= SQEFixedFile
	c = submitOne(t, r)
	require.Equal(t, int32(4096), c.Res)
	require.Equal(t, buf[:4096], buf[4096:])

	require.NoError(t, r.UnregisterFiles())
	require.NoError(t, r.UnregisterBuffers())
}

func TestBatchingFillsAndDrainsRing(t *testing.T) {
	r := newRing(t, 16, Options{})
	n := int(r.SQEntries())
	for i := 0; i < n; i++ {
		sqe := r.GetSQE()
		require.NotNil(t, sqe, "sqe %d of %d", i, n)
		sqe.PrepNop()
		sqe.UserData = uint64(i)
	}
	require.Nil(t, r.GetSQE(), "ring should be full")
	got, err := r.SubmitAndWait(uint32(n))
	require.NoError(t, err)
	require.Equal(t, n, got, "one enter submits the whole batch")
	require.Equal(t, uint32(n), r.CQReady())
	seen := make([]bool, n)
	for c := r.PeekCQE(); c != nil; c = r.PeekCQE() {
		seen[c.UserData] = true
		r.CQAdvance(1)
	}
	for i, s := range seen {
		require.True(t, s, "completion %d missing", i)
	}
	require.NotNil(t, r.GetSQE(), "slots are free again")
}

// A wait interrupted by signals keeps waiting and submits nothing twice.
func TestWaitSurvivesEINTR(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := newRing(t, 4, Options{})
	var p [2]int
	require.NoError(t, unix.Pipe2(p[:], unix.O_CLOEXEC))
	defer unix.Close(p[0])
	defer unix.Close(p[1])

	sqe := r.GetSQE()
	sqe.PrepPollAdd(int32(p[0]), unix.POLLIN)
	sqe.UserData = 7

	tid := unix.Gettid()
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 50 && !stop.Load(); i++ {
			unix.Tgkill(unix.Getpid(), tid, unix.SIGURG)
			time.Sleep(2 * time.Millisecond)
		}
		unix.Write(p[1], []byte{1})
	}()
	n, err := r.SubmitAndWait(1)
	stop.Store(true)
	<-done
	require.NoError(t, err)
	require.Equal(t, 1, n)
	c := r.PeekCQE()
	require.NotNil(t, c)
	require.Equal(t, uint64(7), c.UserData)
	require.True(t, c.Res&unix.POLLIN != 0)
}

// Closing a ring with a request still in flight releases everything; the fd is gone.
func TestTeardownWithInflight(t *testing.T) {
	r, err := New(4, Options{})
	require.NoError(t, err)
	var p [2]int
	require.NoError(t, unix.Pipe2(p[:], unix.O_CLOEXEC))
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	sqe := r.GetSQE()
	sqe.PrepPollAdd(int32(p[0]), unix.POLLIN)
	_, err = r.Submit()
	require.NoError(t, err)
	fd := r.Fd()
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "second Close is a no-op")
	_, err = unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.ErrorIs(t, err, unix.EBADF)
}

func TestSQE128CommandArea(t *testing.T) {
	r := newRing(t, 4, Options{Flags: SetupSQE128})
	sqe := r.GetSQE()
	require.Len(t, r.Cmd(sqe), 80)
	for i := range r.Cmd(sqe) {
		r.Cmd(sqe)[i] = 0xff
	}
	// GetSQE must clear the whole 128 bytes of a reused slot.
	sqe.PrepNop()
	submitOne(t, r)
	for i := 0; i < 3; i++ {
		s := r.GetSQE()
		s.PrepNop()
		submitOne(t, r)
	}
	s := r.GetSQE()
	require.Equal(t, make([]byte, 80), r.Cmd(s))
}

func TestProbe(t *testing.T) {
	r := newRing(t, 4, Options{})
	p, err := r.Probe()
	require.NoError(t, err)
	require.True(t, p.Supports(OpNop))
	require.True(t, p.Supports(OpRead))
}

func TestNoAllocationsPerIO(t *testing.T) {
	r := newRing(t, 8, Options{})
	allocs := testing.AllocsPerRun(1000, func() {
		sqe := r.GetSQE()
		sqe.PrepNop()
		sqe.UserData = 3
		if _, err := r.SubmitAndWait(1); err != nil {
			t.Fatal(err)
		}
		if c := r.PeekCQE(); c == nil || c.UserData != 3 {
			t.Fatal("missing completion")
		}
		r.CQAdvance(1)
	})
	require.Zero(t, allocs)
}

func BenchmarkNopRoundTrip(b *testing.B) {
	// A SINGLE_ISSUER ring takes submissions only from the thread that made it: without the
	// lock the goroutine migrates, every submit fails and the SQ fills up.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, err := New(64, Options{Optional: SetupCoopTaskrun | SetupSingleIssuer})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.ReportAllocs()
	for b.Loop() {
		sqe := r.GetSQE()
		sqe.PrepNop()
		if _, err := r.SubmitAndWait(1); err != nil {
			b.Fatal(err)
		}
		r.CQAdvance(1)
	}
}

func submitOne(t *testing.T, r *Ring) CQE {
	t.Helper()
	_, err := r.SubmitAndWait(1)
	require.NoError(t, err)
	c := r.PeekCQE()
	require.NotNil(t, c)
	v := *c
	r.CQAdvance(1)
	return v
}
