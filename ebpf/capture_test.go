package ebpf

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// alignedBuf returns n bytes aligned for O_DIRECT.
func alignedBuf(n int) []byte {
	b := make([]byte, n+4096)
	off := int(4096 - uintptr(unsafe.Pointer(&b[0]))%4096)
	return b[off%4096 : off%4096+n]
}

// startCapture runs a capture in the background; stop ends it and returns what it saw.
func startCapture(t *testing.T, o Options) (stop func() ([]Event, Stats)) {
	t.Helper()
	c, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var (
		evs []Event
		st  Stats
		wg  sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		var err error
		st, err = c.Run(ctx, time.Second, func(e *Event) error { evs = append(evs, *e); return nil })
		if err != nil {
			t.Error(err)
		}
	}()
	return func() ([]Event, Stats) { cancel(); wg.Wait(); return evs, st }
}

// TestCaptureLoopReads: direct reads and writes of known offsets and lengths on a loop device
// come back as exactly those requests, in order, with nothing lost.
func TestCaptureLoopReads(t *testing.T) {
	needBPF(t)
	dev, _ := loopDevice(t, 64<<20)
	target, err := ResolveDevice(dev)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(dev, os.O_RDWR|unix.O_DIRECT, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []struct {
		op     Op
		off, n int64
	}{
		{OpRead, 0, 4096}, {OpRead, 1 << 20, 8192}, {OpRead, 5<<20 + 4096, 65536},
		{OpWrite, 7 << 20, 4096}, {OpRead, 63 << 20, 131072}, {OpRead, 12288, 4096},
	}
	stop := startCapture(t, Options{Target: target})
	for _, w := range want {
		buf := alignedBuf(int(w.n))
		var err error
		if w.op == OpRead {
			_, err = f.ReadAt(buf, w.off)
		} else {
			_, err = f.WriteAt(buf, w.off)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	evs, st := stop()
	if st.Lost() != 0 {
		t.Errorf("lost %d events (%+v)", st.Lost(), st)
	}
	if len(evs) != len(want) {
		t.Fatalf("captured %d events, want %d: %+v", len(evs), len(want), evs)
	}
	me := filepath.Base(os.Args[0])
	for i, w := range want {
		e := evs[i]
		if e.Op != w.op || e.Offset() != w.off || int64(e.Bytes) != w.n || e.Dev != target.Dev {
			t.Errorf("event %d: %c %d+%d on %v, want %c %d+%d on %v", i, e.Op, e.Offset(), e.Bytes, e.Dev, w.op, w.off, w.n, target.Dev)
		}
		if e.PID != uint32(os.Getpid()) || e.Comm != me[:min(len(me), 15)] {
			t.Errorf("event %d: pid %d comm %q, want %d %q", i, e.PID, e.Comm, os.Getpid(), me)
		}
		if e.Latency == 0 || e.Latency > uint64(10*time.Second) {
			t.Errorf("event %d: latency %d ns", i, e.Latency)
		}
	}
}
