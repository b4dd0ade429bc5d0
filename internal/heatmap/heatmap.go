package heatmap

// Step is the bytes of each of n slices covering [0, span): span/n rounded up, without the
// overflow of (span+n-1)/n. It needs span >= 0 and n > 0.
func Step(span, n int64) int64 {
	w := span / n
	if span%n != 0 {
		w++
	}
	return w
}

// Spread adds the bytes of [off, end) to the slices of step bytes each that they cover.
// Preconditions: 0 <= off <= end <= span, step = Step(span, len(heat)). No sum wraps: a
// slice's end is only computed when it lies below end.
func Spread(heat []uint64, step, off, end int64) {
	for off < end {
		b := off / step
		next := end
		if end-b*step > step {
			next = b*step + step
		}
		heat[b] += uint64(next - off)
		off = next
	}
}
