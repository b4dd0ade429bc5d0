package perf

import (
	"encoding/csv"
	"io"
	"strconv"
)

// resultColumns is the header of results.csv: one row per matrix entry, sizes in bytes,
// latencies in microseconds, the reference's figures beside dadi's.
var resultColumns = []string{
	"id", "rw", "bs", "iodepth", "numjobs", "queues", "depth", "pin", "codec", "zfile_bs",
	"device", "iops", "bw_mib_s", "lat_mean_us", "lat_p50_us", "lat_p99_us", "lat_p999_us",
	"daemon_cpu_pct", "ref", "ref_iops", "ref_bw_mib_s", "ref_lat_p99_us", "iops_ratio",
	"fio_json", "ref_fio_json",
}

// WriteResultsCSV writes one row per result.
func WriteResultsCSV(w io.Writer, results []Result) error {
	cw := csv.NewWriter(w)
	cw.Write(resultColumns)
	for _, r := range results {
		zbs := ""
		if r.Daemon.Codec.ZFile() {
			zbs = strconv.FormatInt(r.Daemon.ZFileBS, 10)
		}
		d := []string{strconv.Itoa(r.Daemon.Queues), strconv.Itoa(r.Daemon.Depth), r.Daemon.Pin, string(r.Daemon.Codec), zbs}
		if r.Daemon == (Daemon{}) {
			d = []string{"", "", "", "", ""} // --device: no daemon knobs
		}
		row := []string{
			strconv.Itoa(r.ID), string(r.Job.RW), strconv.FormatInt(r.Job.BS, 10),
			strconv.Itoa(r.Job.IODepth), strconv.Itoa(r.Job.NumJobs),
		}
		row = append(append(row, d...), r.Device)
		row = append(row, statsColumns(r.Stats)...)
		row = append(row, cpuColumn(r.CPU, num(r.CPU, 1)))
		if ref := r.Ref; ref != nil {
			row = append(row, ref.Name, num(ref.IOPS, 0), num(ref.BWBytes/(1<<20), 2), num(ref.LatP99, 1), num(r.Ratio(), 3), r.JSON, ref.JSON)
		} else {
			row = append(row, "", "", "", "", "", r.JSON, "")
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// WriteRefsCSV writes the reference runs, one row per device and job.
func WriteRefsCSV(w io.Writer, refs []RefResult) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"ref", "device", "rw", "bs", "iodepth", "numjobs", "iops", "bw_mib_s",
		"lat_mean_us", "lat_p50_us", "lat_p99_us", "lat_p999_us", "fio_json"})
	for _, r := range refs {
		row := []string{r.Name, r.Device, string(r.Job.RW), strconv.FormatInt(r.Job.BS, 10),
			strconv.Itoa(r.Job.IODepth), strconv.Itoa(r.Job.NumJobs)}
		row = append(row, statsColumns(r.Stats)...)
		cw.Write(append(row, r.JSON))
	}
	cw.Flush()
	return cw.Error()
}

func statsColumns(s Stats) []string {
	return []string{num(s.IOPS, 0), num(s.BWBytes/(1<<20), 2), num(s.LatMean, 1),
		num(s.LatP50, 1), num(s.LatP99, 1), num(s.LatP999, 1)}
}

// cpuColumn is s, or empty when there was no daemon to measure.
func cpuColumn(cpu float64, s string) string {
	if cpu < 0 {
		return ""
	}
	return s
}

func num(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
