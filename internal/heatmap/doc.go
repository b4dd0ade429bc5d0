// Package heatmap spreads byte ranges over equal slices of an offset range, for the heat maps
// `dadi trace show` prints of both trace formats. Offsets come from untrusted trace files, so
// the arithmetic is written not to wrap anywhere in int64.
package heatmap
