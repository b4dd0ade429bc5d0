package ebpf

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/dadi-dev/dadi/internal/heatmap"
)

// OpCount is how many requests of one kind a trace holds, and their bytes.
type OpCount struct {
	Requests uint64 `json:"requests"`
	Bytes    uint64 `json:"bytes"`
}

// Summary is what `dadi trace show` prints about a trace.
type Summary struct {
	Events   uint64             `json:"events"`
	Lost     uint64             `json:"lost"`
	Bytes    uint64             `json:"bytes"`
	Errors   uint64             `json:"errors"`
	Duration time.Duration      `json:"duration_ns"`
	Ops      map[string]OpCount `json:"ops"`
	// Skipped counts the events left out of every figure because Check refused them (a
	// sector or end time outside int64).
	Skipped uint64 `json:"skipped"`
	// Latency percentiles in ns: p50, p90, p99, max.
	LatencyP50 uint64 `json:"latency_p50_ns"`
	LatencyP90 uint64 `json:"latency_p90_ns"`
	LatencyP99 uint64 `json:"latency_p99_ns"`
	LatencyMax uint64 `json:"latency_max_ns"`
	// Heat counts the bytes moved in each of len(Heat) equal slices of [0, Span).
	Span int64    `json:"span_bytes"`
	Heat []uint64 `json:"heat"`
}

// MaxHeatBuckets bounds the slices of a heat map: Summarize allocates one counter per slice.
const MaxHeatBuckets = 4096

// Summarize computes a trace's summary with a heat map of buckets slices (at most
// MaxHeatBuckets). Events that fail Check are skipped and counted.
func Summarize(f *File, buckets int) Summary {
	buckets = min(buckets, MaxHeatBuckets)
	s := Summary{Ops: map[string]OpCount{}, Lost: f.Lost}
	lat := make([]uint64, 0, len(f.Events))
	for i := range f.Events {
		e := &f.Events[i]
		if e.Check(i) != nil {
			s.Skipped++
			continue
		}
		s.Events++
		s.Bytes += uint64(e.Bytes)
		c := s.Ops[string(e.Op)]
		c.Requests++
		c.Bytes += uint64(e.Bytes)
		s.Ops[string(e.Op)] = c
		if e.Error != 0 {
			s.Errors++
		}
		lat = append(lat, e.Latency)
		s.Span = max(s.Span, e.Offset()+int64(e.Bytes))
		s.Duration = max(s.Duration, time.Duration(e.Time+e.Latency))
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		pct := func(p float64) uint64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		s.LatencyP50, s.LatencyP90, s.LatencyP99, s.LatencyMax = pct(0.50), pct(0.90), pct(0.99), lat[len(lat)-1]
	}
	if buckets > 0 && s.Span > 0 {
		s.Heat = make([]uint64, buckets)
		w := heatmap.Step(s.Span, int64(buckets))
		for i := range f.Events {
			e := &f.Events[i]
			if e.Check(i) != nil {
				continue
			}
			heatmap.Spread(s.Heat, w, e.Offset(), e.Offset()+int64(e.Bytes))
		}
	}
	return s
}

// WriteText prints the summary for a person.
func (s *Summary) WriteText(w io.Writer, f *File) {
	dev := "all devices"
	if f.Dev != 0 {
		dev = "device " + f.Dev.String()
	}
	fmt.Fprintf(w, "trace of %s, started %s, %v long\n", dev, f.Start.Format(time.RFC3339), s.Duration.Round(time.Microsecond))
	fmt.Fprintf(w, "events  %d (lost %d, other requests %d, errors %d, skipped %d)\n", s.Events, s.Lost, f.Other, s.Errors, s.Skipped)
	if s.Skipped > 0 {
		fmt.Fprintf(w, "skipped %d events whose sector or end time lies outside int64 (left out of every figure)\n", s.Skipped)
	}
	fmt.Fprintf(w, "bytes   %s\n", human(s.Bytes))
	for _, op := range []Op{OpRead, OpWrite, OpDiscard, OpFlush} {
		c := s.Ops[string(op)]
		pct := 0.0
		if s.Events > 0 {
			pct = 100 * float64(c.Requests) / float64(s.Events)
		}
		fmt.Fprintf(w, "  %-7s %8d requests %5.1f%%  %s\n", opName(op), c.Requests, pct, human(c.Bytes))
	}
	fmt.Fprintf(w, "latency p50 %v  p90 %v  p99 %v  max %v\n", ns(s.LatencyP50), ns(s.LatencyP90), ns(s.LatencyP99), ns(s.LatencyMax))
	if len(s.Heat) == 0 {
		return
	}
	step := heatmap.Step(s.Span, int64(len(s.Heat)))
	fmt.Fprintf(w, "heat map: bytes moved per %s of the first %s\n", human(uint64(step)), human(uint64(s.Span)))
	top := slices.Max(s.Heat)
	const width = 40
	for i, v := range s.Heat {
		n := 0
		if top > 0 {
			n = int((v*width + top - 1) / top)
		}
		fmt.Fprintf(w, "  %10s |%-*s| %s\n", human(uint64(int64(i)*step)), width, strings.Repeat("#", n), human(v))
	}
}

func opName(o Op) string {
	switch o {
	case OpRead:
		return "read"
	case OpWrite:
		return "write"
	case OpDiscard:
		return "discard"
	}
	return "flush"
}

func ns(v uint64) time.Duration { return time.Duration(v).Round(time.Microsecond / 10) }

func human(b uint64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}
