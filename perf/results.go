package perf

import "time"

// Result is what one matrix entry measured.
type Result struct {
	Entry
	Device string
	Stats
	CPU  float64    // the daemon's CPU use over the job, percent of one CPU; -1: no daemon
	Ref  *RefResult // the same job on the reference device; nil without one
	JSON string     // fio's raw output, relative to the output directory
}

// RefResult is one job on a kernel reference device.
type RefResult struct {
	Name   string // "null_blk", "loop"
	Device string
	Job    Job
	Stats
	JSON string
}

// Ratio is dadi's IOPS over the reference's for the same job, 0 without a reference.
func (r Result) Ratio() float64 {
	if r.Ref == nil || r.Ref.IOPS == 0 {
		return 0
	}
	return r.IOPS / r.Ref.IOPS
}

// Host is where a run happened, for the report's header.
type Host struct {
	Kernel string
	CPUs   int
	Fio    string
}

// Report is everything a run wrote its files from.
type Report struct {
	Matrix  *Matrix
	Source  string
	Command string
	Host    Host
	Started time.Time
	Elapsed time.Duration
	Results []Result
	Refs    []RefResult
	Notes   []string // what the reader should know: a reference missing, a run cut short
}
