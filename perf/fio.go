package perf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Stats are the figures of one fio run, reads and writes together.
type Stats struct {
	IOPS     float64
	BWBytes  float64 // bytes per second
	LatMean  float64 // completion latency, microseconds
	LatP50   float64
	LatP99   float64
	LatP999  float64
	TotalIOs int64
}

// fioArgs is the command line of one job. Reads and writes are reported as one "mixed"
// direction so a 70/30 job has one set of percentiles; the percentile list is fixed so the
// JSON keys are known.
func fioArgs(name, dev string, devSize int64, j Job, runtime, ramp time.Duration) []string {
	rw := string(j.RW)
	args := []string{
		"--output-format=json", "--name=" + name, "--filename=" + dev,
		"--ioengine=io_uring", "--direct=1", "--group_reporting",
		"--unified_rw_reporting=mixed", "--percentile_list=50:99:99.9",
		"--bs=" + strconv.FormatInt(j.BS, 10),
		"--iodepth=" + strconv.Itoa(j.IODepth), "--numjobs=" + strconv.Itoa(j.NumJobs),
		"--time_based", "--runtime=" + seconds(runtime),
	}
	if ramp > 0 {
		args = append(args, "--ramp_time="+seconds(ramp))
	}
	if j.RW == Mixed {
		rw = "randrw"
		args = append(args, "--rwmixread=70")
	}
	args = append(args, "--rw="+rw)
	// Sequential jobs each get their own stretch of the device, or they would all read the
	// same blocks one after another and measure a cache.
	if (j.RW == Read || j.RW == Write) && j.NumJobs > 1 && devSize > 0 {
		part := devSize / int64(j.NumJobs) / j.BS * j.BS
		if part >= j.BS {
			args = append(args, "--size="+strconv.FormatInt(part, 10), "--offset_increment="+strconv.FormatInt(part, 10))
		}
	}
	return args
}

func seconds(d time.Duration) string { return strconv.Itoa(int(d/time.Second)) + "s" }

// runFio runs fio and returns its JSON as printed and the figures in it.
func runFio(ctx context.Context, args []string, dir string) ([]byte, Stats, error) {
	cmd := exec.CommandContext(ctx, "fio", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Dir = dir // fio may leave state files in its working directory
	err := cmd.Run()
	raw := jsonPart(stdout.Bytes())
	if err != nil {
		return raw, Stats{}, fmt.Errorf("fio %s: %v: %s", strings.Join(args, " "), err, lastLines(stderr.String()+stdout.String(), 5))
	}
	st, err := ParseFio(raw)
	if err != nil {
		return raw, st, fmt.Errorf("fio %s: %w", strings.Join(args, " "), err)
	}
	return raw, st, nil
}

// jsonPart drops what fio may print before its JSON (notes about the environment).
func jsonPart(b []byte) []byte {
	if i := bytes.IndexByte(b, '{'); i > 0 {
		return b[i:]
	}
	return b
}

type fioOutput struct {
	Jobs []struct {
		Name  string `json:"jobname"`
		Error int    `json:"error"`
		Mixed fioDir `json:"mixed"`
	} `json:"jobs"`
}

type fioDir struct {
	IOPS     float64 `json:"iops"`
	BWBytes  float64 `json:"bw_bytes"`
	TotalIOs int64   `json:"total_ios"`
	ClatNs   struct {
		Mean       float64            `json:"mean"`
		Percentile map[string]float64 `json:"percentile"`
	} `json:"clat_ns"`
}

// ParseFio reads the figures from fio's JSON output of one job run with the options fioArgs
// gives (group reporting, unified "mixed" direction).
func ParseFio(raw []byte) (Stats, error) {
	var out fioOutput
	if err := json.Unmarshal(jsonPart(raw), &out); err != nil {
		return Stats{}, fmt.Errorf("fio JSON: %w", err)
	}
	if len(out.Jobs) != 1 {
		return Stats{}, fmt.Errorf("fio JSON: %d job results, want 1 (group reporting)", len(out.Jobs))
	}
	j := out.Jobs[0]
	if j.Error != 0 {
		return Stats{}, fmt.Errorf("fio job %s: error %d", j.Name, j.Error)
	}
	d := j.Mixed
	if d.TotalIOs == 0 {
		return Stats{}, errors.New("fio JSON: no I/O done (or no unified \"mixed\" figures)")
	}
	p := d.ClatNs.Percentile
	return Stats{
		IOPS: d.IOPS, BWBytes: d.BWBytes, TotalIOs: d.TotalIOs,
		LatMean: d.ClatNs.Mean / 1e3, LatP50: p["50.000000"] / 1e3,
		LatP99: p["99.000000"] / 1e3, LatP999: p["99.900000"] / 1e3,
	}, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
