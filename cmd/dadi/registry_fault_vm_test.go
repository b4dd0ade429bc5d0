//go:build vm

package main

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/index"
	"github.com/dadi-dev/dadi/internal/fixtures"
	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/dadi-dev/dadi/lsmt"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// hangProxy is a TCP proxy between dadi and the registry that can be told to stop answering:
// bytes are then swallowed in both directions, which is what a hung server looks like.
type hangProxy struct {
	ln   net.Listener
	hang atomic.Bool
	wg   sync.WaitGroup
}

func startHangProxy(t *testing.T, upstream string) *hangProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &hangProxy{ln: ln}
	var conns sync.Map
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			conns.Store(c, u)
			p.wg.Add(2)
			go p.pipe(c, u)
			go p.pipe(u, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(k, v any) bool { k.(net.Conn).Close(); v.(net.Conn).Close(); return true })
		p.wg.Wait()
	})
	return p
}

func (p *hangProxy) pipe(from, to net.Conn) {
	defer p.wg.Done()
	defer to.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := from.Read(buf)
		if n > 0 && !p.hang.Load() {
			if _, werr := to.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// directRead reads 4 KiB at off of dev with O_DIRECT from a thread pinned to cpu, so the
// request goes to that CPU's ublk queue. The pinned thread is never handed back to the Go
// runtime: its goroutine exits locked, which ends the thread, so no later goroutine (or a child
// process forked from it) inherits the one-CPU affinity.
func directRead(cpu int, dev string, off int64) error {
	res := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		res <- pinnedRead(cpu, dev, off)
	}()
	return <-res
}

func pinnedRead(cpu int, dev string, off int64) error {
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return err
	}
	fd, err := unix.Open(dev, unix.O_RDONLY|unix.O_DIRECT, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	buf, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return err
	}
	defer unix.Munmap(buf)
	n, err := unix.Pread(fd, buf, off)
	if err == nil && n != len(buf) {
		err = fmt.Errorf("short read: %d bytes", n)
	}
	return err
}

// blockOf is the 64 KiB cache block of a layer-file offset.
func blockOf(off int64) int64 { return off / 65536 }

// Through a registry that hangs, a read of data not yet cached fails with EIO within the
// configured bound, while another queue keeps serving cached data; once the registry answers
// again the same read succeeds.
func TestVMRegistryHungEIO(t *testing.T) {
	vmtest.RequireUblk(t)
	m := fixtures.Load(t)
	layerFile := m.Path("A/L0.lsmt")
	// Pick two 4 KiB ranges of the disk whose bytes lie in different cache blocks of the layer
	// file, neither one fetched when the layer opens (header, index, trailer).
	l, err := lsmt.OpenLayerFile(layerFile)
	require.NoError(t, err)
	img, err := engine.NewImage([]*lsmt.ROLayer{l}, nil)
	require.NoError(t, err)
	st, _ := os.Stat(layerFile)
	opened := map[int64]bool{0: true, blockOf(st.Size() - 4096): true, blockOf(st.Size() - 1): true}
	for b := blockOf(int64(l.Trailer.IndexOffset)); b <= blockOf(int64(l.Trailer.IndexOffset+l.Trailer.IndexSize*16)); b++ {
		opened[b] = true
	}
	var picks []int64
	for off := int64(0); off < img.Size() && len(picks) < 2; off += 4096 {
		ext := img.Merged().Lookup(uint64(off)/512, 8, nil)
		if len(ext) != 1 || ext[0].Kind != index.Data {
			continue
		}
		fb := int64(ext[0].MOffset+(uint64(off)/512-ext[0].Offset)) * 512
		if opened[blockOf(fb)] || opened[blockOf(fb+4095)] {
			continue
		}
		opened[blockOf(fb)], opened[blockOf(fb+4095)] = true, true
		picks = append(picks, off)
	}
	img.Close()
	require.Len(t, picks, 2)
	cached, uncached := picks[0], picks[1]

	reg := startDistribution(t)
	proxy := startHangProxy(t, reg.host)
	b, err := os.ReadFile(layerFile)
	require.NoError(t, err)
	const repo = "fixtures/hung"
	d0 := reg.push(t, repo, b)
	dir := t.TempDir()
	viaProxy := proxy.ln.Addr().String()
	cfg := writeRemoteConfig(t, viaProxy, dir, repo, []string{d0}, []int{len(b)})
	global := writeGlobalConfig(t, dir, viaProxy, reg.user, reg.pass)
	// writeGlobalConfig's bounds: a read gives up after readBound. Opening the image reads
	// through the same bounds, and on a loaded host the registry in the VM took over 6 s to
	// answer the first range, so they are not shortened for this test; a cached read must
	// take well under readBound, or it waited for the hung one.
	readBound := vmtest.Scale(20 * time.Second)
	cachedBound := readBound / 3

	d := vmtest.StartDaemon(t, "--config", cfg, "--global-config", global, "--queues", "2")
	require.NoError(t, directRead(1, d.Device, cached))

	proxy.hang.Store(true)
	start := time.Now()
	type result struct {
		err  error
		took time.Duration
	}
	hung := make(chan result, 1)
	go func() {
		err := directRead(0, d.Device, uncached)
		hung <- result{err, time.Since(start)}
	}()
	time.Sleep(200 * time.Millisecond) // the hung read is on its way (if not, the checks below still hold)
	// Reads of cached data from the other CPU (so the other queue) go on meanwhile.
	var firstServed time.Duration
	for i := range 20 {
		t0 := time.Now()
		require.NoError(t, directRead(1, d.Device, cached), "a cached read failed meanwhile")
		require.Less(t, time.Since(t0), cachedBound, "a cached read waited")
		if i == 0 {
			firstServed = time.Since(start)
		}
	}
	r := <-hung
	require.ErrorIs(t, r.err, syscall.EIO, "read through a hung registry")
	require.Less(t, r.took, readBound+vmtest.Scale(10*time.Second), "EIO took too long")
	require.Less(t, firstServed, r.took, "no cached read was served while the hung one waited")
	t.Logf("hung registry: EIO after %s (bound %s); the first cached read on the other queue done after %s",
		r.took.Round(time.Millisecond), readBound, firstServed.Round(time.Millisecond))

	proxy.hang.Store(false)
	require.NoError(t, directRead(0, d.Device, uncached), "read after the registry recovered")
	stopDaemon(t, d)
}
