package ebpf

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"time"
)

// CSVHeader is the first row of WriteCSV.
var CSVHeader = []string{"time_ns", "dev", "op", "sector", "bytes", "latency_ns", "pid", "comm"}

// WriteCSV prints every event, one row each, after a header row.
func WriteCSV(w io.Writer, f *File) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	row := make([]string, len(CSVHeader))
	for i := range f.Events {
		e := &f.Events[i]
		row[0] = strconv.FormatUint(e.Time, 10)
		row[1] = e.Dev.String()
		row[2] = string(e.Op)
		row[3] = strconv.FormatUint(e.Sector, 10)
		row[4] = strconv.FormatUint(uint64(e.Bytes), 10)
		row[5] = strconv.FormatUint(e.Latency, 10)
		row[6] = strconv.FormatUint(uint64(e.PID), 10)
		row[7] = e.Comm
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteEvents prints every event on a line: time, device, op, sector+bytes, latency, pid, comm.
func WriteEvents(w io.Writer, f *File) error {
	bw := bufio.NewWriter(w)
	for i := range f.Events {
		e := &f.Events[i]
		bw.WriteString(time.Duration(e.Time).String())
		bw.WriteByte(' ')
		bw.WriteString(e.Dev.String() + " " + string(e.Op) + " " + strconv.FormatUint(e.Sector, 10) + "+" +
			strconv.FormatUint(uint64(e.Bytes), 10) + " " + time.Duration(e.Latency).String() + " " +
			strconv.FormatUint(uint64(e.PID), 10) + " " + e.Comm + "\n")
	}
	return bw.Flush()
}

type jsonEvent struct {
	TimeNs    uint64 `json:"time_ns"`
	Dev       string `json:"dev"`
	Op        string `json:"op"`
	Sector    uint64 `json:"sector"`
	Bytes     uint32 `json:"bytes"`
	LatencyNs uint64 `json:"latency_ns"`
	PID       uint32 `json:"pid"`
	Comm      string `json:"comm"`
	Error     uint8  `json:"error,omitempty"`
}

// WriteJSON prints the trace's header, summary and every event as one JSON object.
func WriteJSON(w io.Writer, f *File, s *Summary) error {
	evs := make([]jsonEvent, len(f.Events))
	for i := range f.Events {
		e := &f.Events[i]
		evs[i] = jsonEvent{e.Time, e.Dev.String(), string(e.Op), e.Sector, e.Bytes, e.Latency, e.PID, e.Comm, e.Error}
	}
	dev := ""
	if f.Dev != 0 {
		dev = f.Dev.String()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Dev     string      `json:"dev,omitempty"`
		Start   time.Time   `json:"start"`
		Other   uint32      `json:"other"`
		Summary *Summary    `json:"summary"`
		Events  []jsonEvent `json:"events"`
	}{dev, f.Start, f.Other, s, evs})
}
