// Command ublkbench measures dadi's ublk path against the kernel's own loop device in one VM
// boot (`make bench-ublk`): fio 4k random reads at several queue depths on dadi's null
// target, dadi's file target over a tmpfs file, and loop (direct I/O) over the same file.
// Absolute figures under emulation are slow and noisy; the ratios are what count.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dadi-dev/dadi/internal/vmtest"
)

type result struct {
	target  string
	queues  int
	iodepth int
	iops    float64
	p99us   float64
}

func main() {
	dadi := flag.String("dadi", "bin/dadi", "path of the dadi binary")
	runtime := flag.Duration("runtime", 8*time.Second, "fio run time per point")
	size := flag.String("size", "512M", "size of the tmpfs backing file")
	flag.Parse()
	if err := run(*dadi, *runtime, *size); err != nil {
		fmt.Fprintln(os.Stderr, "ublkbench:", err)
		os.Exit(1)
	}
}

func run(dadi string, runtime time.Duration, size string) error {
	dir, err := os.MkdirTemp("/tmp", "ublkbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "backing.img")
	if out, err := exec.Command("fallocate", "-l", size, file).CombinedOutput(); err != nil {
		return fmt.Errorf("fallocate: %v: %s", err, out)
	}
	depths := []int{1, 32, 128}
	var results []result
	for _, q := range []int{1, 2} {
		for _, tgt := range []struct{ name, flag, arg string }{{"dadi-null", "--null", "1G"}, {"dadi-file", "--file", file}} {
			dev, stop, err := serve(dadi, tgt.flag, tgt.arg, q)
			if err != nil {
				return err
			}
			for _, d := range depths {
				r, err := fio(dev, d, runtime)
				if err != nil {
					stop()
					return err
				}
				r.target, r.queues = tgt.name, q
				results = append(results, r)
				fmt.Fprintf(os.Stderr, "%-10s queues=%d iodepth=%-3d %8.0f IOPS\n", r.target, q, d, r.iops)
			}
			stop()
		}
	}
	loop, dio, err := setupLoop(file)
	if err != nil {
		return err
	}
	defer exec.Command("losetup", "-d", loop).Run()
	loopIOPS := map[int]float64{}
	for _, d := range depths {
		r, err := fio(loop, d, runtime)
		if err != nil {
			return err
		}
		r.target, r.queues = "loop"+map[bool]string{true: "-dio", false: "-buffered"}[dio], 1
		loopIOPS[d] = r.iops
		results = append(results, r)
		fmt.Fprintf(os.Stderr, "%-10s iodepth=%-3d %8.0f IOPS\n", r.target, d, r.iops)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tqueues\tiodepth\tIOPS\tp99 µs\tvs loop\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.0f\t%.2f×\t\n", r.target, r.queues, r.iodepth, r.iops, r.p99us, r.iops/loopIOPS[r.iodepth])
	}
	return tw.Flush()
}

// serve starts `dadi serve` and returns its device and a function that stops it.
func serve(dadi, flag, arg string, queues int) (string, func(), error) {
	cmd := exec.Command(dadi, "serve", flag, arg, "--queues", fmt.Sprint(queues))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		stop()
		return "", nil, fmt.Errorf("dadi serve %s %s: no ready line (%q, %v)", flag, arg, line, err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "ready ")), stop, nil
}

func setupLoop(file string) (string, bool, error) {
	out, err := exec.Command("losetup", "--direct-io=on", "-f", "--show", file).CombinedOutput()
	if err != nil {
		return "", false, fmt.Errorf("losetup: %v: %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	b, _ := os.ReadFile(filepath.Join("/sys/block", filepath.Base(dev), "loop", "dio"))
	return dev, strings.TrimSpace(string(b)) == "1", nil
}

func fio(dev string, iodepth int, runtime time.Duration) (result, error) {
	res, out, err := vmtest.TryFio(context.Background(), "--name=bench", "--filename="+dev, "--rw=randread",
		"--bs=4k", "--ioengine=io_uring", "--direct=1", fmt.Sprintf("--iodepth=%d", iodepth), "--numjobs=2",
		"--group_reporting", "--time_based", "--ramp_time=1s", fmt.Sprintf("--runtime=%ds", int(runtime.Seconds())))
	if err != nil {
		return result{}, fmt.Errorf("fio on %s: %v\n%s", dev, err, out)
	}
	if len(res.Jobs) == 0 {
		return result{}, fmt.Errorf("fio on %s: no job results", dev)
	}
	j := res.Jobs[0]
	return result{iodepth: iodepth, iops: j.Read.IOPS, p99us: j.Read.ClatNs.Percentile["99.000000"] / 1000}, nil
}
