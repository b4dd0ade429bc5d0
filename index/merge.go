package index

import "fmt"

// MaxLayers is the most layers a merged index can name: the tag is 8 bits and overlaybd
// stacks at most 255 files.
const MaxLayers = 255

// Merge flattens a stack of read-only indexes, bottom first, into one Static where the top
// layer wins. Each segment's tag becomes its layer's position (0 = bottom). Zeroed segments
// stay: they hide what is below them.
//
// Overlaying is associative, so the stack is merged as a balanced tree of pairwise overlays:
// O(N log L) for N segments in L layers, instead of O(N·L) one layer at a time.
func Merge(layers []*Static) (*Static, error) {
	if len(layers) > MaxLayers {
		return nil, fmt.Errorf("index: %d layers, at most %d can be stacked", len(layers), MaxLayers)
	}
	if len(layers) == 0 {
		return newStatic(nil), nil
	}
	return newStatic(mergeRange(layers, 0, len(layers))), nil
}

func mergeRange(layers []*Static, lo, hi int) []Segment {
	if hi-lo == 1 {
		src := layers[lo].segs
		out := make([]Segment, len(src))
		for i, s := range src {
			out[i] = s.WithTag(uint8(lo))
		}
		return out
	}
	mid := (lo + hi) / 2
	lower := mergeRange(layers, lo, mid)
	upper := mergeRange(layers, mid, hi)
	return Overlay(lower, upper, make([]Segment, 0, len(lower)+len(upper)))
}

// Overlay appends to out the segments of upper plus the parts of lower that upper does not
// cover, in order. Both inputs must be sorted and non-overlapping.
func Overlay(lower, upper, out []Segment) []Segment {
	i := 0
	// emit appends the parts of lower inside [from, to). It never moves i past a segment
	// that reaches beyond to, because the part after the next upper segment is still due.
	emit := func(from, to uint64) {
		for i < len(lower) && lower[i].End() <= from {
			i++
		}
		for k := i; k < len(lower) && lower[k].Offset() < to; k++ {
			s := lower[k]
			a, b := max(s.Offset(), from), min(s.End(), to)
			if a < b {
				out = append(out, s.Slice(a, b))
			}
		}
	}
	var prev uint64
	for _, u := range upper {
		if u.Offset() > prev {
			emit(prev, u.Offset())
		}
		out = append(out, u)
		prev = u.End()
	}
	emit(prev, MaxOffset+1)
	return out
}
