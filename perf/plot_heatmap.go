package perf

import (
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// peakGrid is the best IOPS for each queues × depth cell of a group, over every other knob
// (iodepth, pinning, codec): the most each device shape could do.
type peakGrid struct {
	queues, depths []int
	iops           [][]float64 // [queue index][depth index]; NaN where nothing ran
	label          [][]string
}

func newPeakGrid(g group, vary map[string]bool) peakGrid {
	var pg peakGrid
	for _, r := range g.Results {
		pg.queues = append(pg.queues, r.Daemon.Queues)
		pg.depths = append(pg.depths, r.Daemon.Depth)
	}
	slices.Sort(pg.queues)
	slices.Sort(pg.depths)
	pg.queues, pg.depths = slices.Compact(pg.queues), slices.Compact(pg.depths)
	pg.iops, pg.label = make([][]float64, len(pg.queues)), make([][]string, len(pg.queues))
	best := make([][]Result, len(pg.queues))
	for c := range pg.queues {
		pg.iops[c], pg.label[c] = make([]float64, len(pg.depths)), make([]string, len(pg.depths))
		best[c] = make([]Result, len(pg.depths))
		for r := range pg.depths {
			pg.iops[c][r] = math.NaN()
		}
	}
	for _, res := range g.Results {
		c, r := slices.Index(pg.queues, res.Daemon.Queues), slices.Index(pg.depths, res.Daemon.Depth)
		if math.IsNaN(pg.iops[c][r]) || res.IOPS > pg.iops[c][r] {
			pg.iops[c][r], best[c][r] = res.IOPS, res
		}
	}
	for c := range pg.queues {
		for r := range pg.depths {
			if math.IsNaN(pg.iops[c][r]) {
				continue
			}
			b := best[c][r]
			s := kilo(b.IOPS) + " IOPS\nqd" + strconv.Itoa(b.Job.IODepth)
			if vary["pin"] || vary["codec"] {
				s += " " + b.Daemon.Pin + " " + b.Daemon.ImageLabel()
			}
			if ratio := b.Ratio(); ratio > 0 {
				s += "\n" + times(ratio) + " " + b.Ref.Name
			}
			pg.label[c][r] = s
		}
	}
	return pg
}

// The grid's columns and rows are evenly spaced by index; the tick labels give the values.
func (pg peakGrid) Dims() (int, int)   { return len(pg.queues), len(pg.depths) }
func (pg peakGrid) Z(c, r int) float64 { return pg.iops[c][r] }
func (pg peakGrid) X(c int) float64    { return float64(c) }
func (pg peakGrid) Y(r int) float64    { return float64(r) }
func (pg peakGrid) ticks(v []int) plot.ConstantTicks {
	t := make(plot.ConstantTicks, len(v))
	for i, x := range v {
		t[i] = plot.Tick{Value: float64(i), Label: strconv.Itoa(x)}
	}
	return t
}

// plotHeatmap draws peak IOPS over queues × depth, each cell labelled with its figure, the
// iodepth that reached it and its ratio to the reference, with a colour bar under the map.
func plotHeatmap(g group, vary map[string]bool, path string) error {
	pg := newPeakGrid(g, vary)
	hm := plotter.NewHeatMap(pg, moreland.SmoothBlueRed().Palette(64))
	if math.IsInf(hm.Min, 0) {
		return errNoData
	}
	if hm.Min == hm.Max { // one cell, or all equal: the palette still needs a range
		hm.Min, hm.Max = hm.Min*0.9, hm.Max*1.1+1
	}
	p := plot.New()
	p.Title.Text = "Peak IOPS by queues × depth: " + g.Title()
	p.X.Label.Text = "dadi serve --queues"
	p.Y.Label.Text = "dadi serve --depth"
	p.Add(hm)
	p.X.Tick.Marker, p.Y.Tick.Marker = pg.ticks(pg.queues), pg.ticks(pg.depths)
	p.X.Min, p.X.Max = -0.5, float64(len(pg.queues))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(pg.depths))-0.5
	var xys plotter.XYs
	var labels []string
	var dark []bool
	for c := range pg.queues {
		for r := range pg.depths {
			if pg.label[c][r] != "" {
				xys = append(xys, plotter.XY{X: float64(c), Y: float64(r)})
				labels = append(labels, pg.label[c][r])
				// Both ends of the palette are dark: white text reads better there.
				f := (pg.iops[c][r] - hm.Min) / (hm.Max - hm.Min)
				dark = append(dark, f < 0.2 || f > 0.8)
			}
		}
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
		if dark[i] {
			l.TextStyle[i].Color = color.White
		}
	}
	p.Add(l)

	bar := plot.New()
	bar.HideY()
	bar.X.Padding = 0
	bar.X.Label.Text = "peak IOPS"
	bar.X.Tick.Marker = kiloTicks{}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(hm.Min)
	cm.SetMax(hm.Max)
	bar.Add(&plotter.ColorBar{ColorMap: cm})

	c, err := newCanvas(path)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	barH := vg.Inch * 0.75
	p.Draw(draw.Crop(dc, 0, 0, barH, 0))
	bar.Draw(draw.Crop(dc, vg.Inch*0.6, -vg.Inch*0.4, 0, -(plotH - barH)))
	return writeCanvas(c, path)
}
