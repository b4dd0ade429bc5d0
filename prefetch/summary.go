package prefetch

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/dadi-dev/dadi/internal/heatmap"
)

// TraceSummary describes a prefetch trace for `dadi trace show`.
type TraceSummary struct {
	Records int
	Bytes   uint64
	Layers  map[uint32]TraceLayerSummary
	// Skipped counts the records left out because no image could hold them: an unknown op,
	// an offset or end outside int64, a read of no bytes or more than TraceMaxIO.
	Skipped int
}

// TraceLayerSummary is one layer's share of a trace.
type TraceLayerSummary struct {
	Records int
	Bytes   uint64
	Span    int64 // end of the furthest read
	recs    []TraceRecord
}

// MaxTraceBuckets bounds the rows of a heat map: WriteText allocates one counter per row.
const MaxTraceBuckets = 4096

// SummarizeTrace counts records and bytes per layer. Records that no image could hold are
// skipped and counted, so a hostile trace still has a summary.
func SummarizeTrace(recs []TraceRecord) TraceSummary {
	s := TraceSummary{Layers: map[uint32]TraceLayerSummary{}}
	for _, r := range recs {
		if r.problem() != "" {
			s.Skipped++
			continue
		}
		l := s.Layers[r.Layer]
		l.Records++
		l.Bytes += r.Count
		l.Span = max(l.Span, r.Offset+int64(r.Count))
		l.recs = append(l.recs, r)
		s.Layers[r.Layer] = l
		s.Bytes += r.Count
		s.Records++
	}
	return s
}

// WriteText prints the summary, with a heat map of buckets rows per layer (at most
// MaxTraceBuckets).
func (s TraceSummary) WriteText(w io.Writer, buckets int) {
	buckets = min(buckets, MaxTraceBuckets)
	fmt.Fprintf(w, "overlaybd prefetch trace: %d records, %d bytes, %d layers\n", s.Records, s.Bytes, len(s.Layers))
	if s.Skipped > 0 {
		fmt.Fprintf(w, "skipped %d records whose range no image can hold (negative, beyond int64, or a read of 0 or more than %d bytes)\n", s.Skipped, TraceMaxIO)
	}
	layers := make([]uint32, 0, len(s.Layers))
	for k := range s.Layers {
		layers = append(layers, k)
	}
	slices.Sort(layers)
	for _, k := range layers {
		l := s.Layers[k]
		fmt.Fprintf(w, "layer %d: %d records, %d bytes, up to offset %d\n", k, l.Records, l.Bytes, l.Span)
		if buckets <= 0 || l.Span <= 0 {
			continue
		}
		heat := make([]uint64, buckets)
		step := heatmap.Step(l.Span, int64(buckets))
		for _, r := range l.recs {
			heatmap.Spread(heat, step, r.Offset, r.Offset+int64(r.Count))
		}
		top := slices.Max(heat)
		for i, v := range heat {
			n := 0
			if top > 0 {
				n = int((v*40 + top - 1) / top)
			}
			fmt.Fprintf(w, "  %12d |%-40s| %d\n", int64(i)*step, strings.Repeat("#", n), v)
		}
	}
}

// WriteTraceJSON prints the records as a JSON array.
func WriteTraceJSON(w io.Writer, recs []TraceRecord) error {
	type rec struct {
		Op     string `json:"op"`
		Layer  uint32 `json:"layer"`
		Offset int64  `json:"offset"`
		Count  uint64 `json:"bytes"`
	}
	out := make([]rec, len(recs))
	for i, r := range recs {
		out[i] = rec{string(rune(r.Op)), r.Layer, r.Offset, r.Count}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
