package perf

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// percentileStyles tell p50, p99 and p99.9 apart by dash, while colour tells configurations
// apart: the gap between a configuration's solid and dotted line is its tail.
var percentileStyles = []struct {
	name   string
	value  func(Stats) float64
	dashes []vg.Length
}{
	{"p50", func(s Stats) float64 { return s.LatP50 }, nil},
	{"p99", func(s Stats) float64 { return s.LatP99 }, []vg.Length{vg.Points(6), vg.Points(3)}},
	{"p99.9", func(s Stats) float64 { return s.LatP999 }, []vg.Length{vg.Points(1.5), vg.Points(2.5)}},
}

// plotLatency draws completion latency percentiles against iodepth on a log scale.
func plotLatency(g group, vary map[string]bool, path string) error {
	p := newPlot("Completion latency percentiles: "+g.Title(), "fio iodepth", "latency")
	lo, hi := math.Inf(1), 0.0
	var depths []int
	line := func(xy plotter.XYs, col color.Color, dashes []vg.Length) (*plotter.Line, error) {
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width, l.Dashes = col, vg.Points(1.5), dashes
		p.Add(l)
		return l, nil
	}
	points := func(n int, x func(int) int, st func(int) Stats, pc func(Stats) float64) plotter.XYs {
		var xy plotter.XYs
		for k := range n {
			// A log axis has no room for zero: a percentile fio did not report is left out.
			if v := pc(st(k)); v > 0 {
				xy = append(xy, plotter.XY{X: float64(x(k)), Y: v})
				lo, hi = math.Min(lo, v), math.Max(hi, v)
				depths = append(depths, x(k))
			}
		}
		return xy
	}
	for i, s := range topSeries(g.series()) {
		for k, ps := range percentileStyles {
			xy := points(len(s.Points), func(k int) int { return s.Points[k].Job.IODepth },
				func(k int) Stats { return s.Points[k].Stats }, ps.value)
			if len(xy) == 0 {
				continue
			}
			l, err := line(xy, seriesColor(i), ps.dashes)
			if err != nil {
				return err
			}
			if k == 0 {
				p.Legend.Add(s.Daemon.Label(vary), l)
			}
		}
	}
	refs := g.refSeries()
	for i, name := range sortedKeys(refs) {
		rs := refs[name]
		for k, ps := range percentileStyles {
			xy := points(len(rs), func(k int) int { return rs[k].Job.IODepth },
				func(k int) Stats { return rs[k].Stats }, ps.value)
			if len(xy) == 0 {
				continue
			}
			l, err := line(xy, refColor(i), ps.dashes)
			if err != nil {
				return err
			}
			if k == 0 {
				p.Legend.Add(name+" (kernel)", l)
			}
		}
	}
	if len(depths) == 0 {
		return errNoData
	}
	// One legend entry per dash style, drawn in black, explains the percentiles.
	for _, ps := range percentileStyles {
		p.Legend.Add(ps.name, lineThumb{Color: color.Black, Width: vg.Points(1.5), Dashes: ps.dashes})
	}
	iodepthAxis(p, depths)
	logYAxis(p, lo, hi, micros)
	return savePlot(p, path)
}

// lineThumb draws a legend entry as a line of a given style.
type lineThumb draw.LineStyle

var _ plot.Thumbnailer = lineThumb{}

func (l lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(draw.LineStyle(l), c.Min.X, y, c.Max.X, y)
}
