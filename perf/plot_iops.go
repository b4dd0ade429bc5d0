package perf

import (
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// plotIOPS draws IOPS against iodepth for each daemon configuration of the group, and the
// reference device dashed in grey, so the curves show where each configuration saturates.
func plotIOPS(g group, vary map[string]bool, path string) error {
	p := newPlot("IOPS vs iodepth: "+g.Title(), "fio iodepth", "IOPS")
	p.Y.Tick.Marker = kiloTicks{}
	p.Y.Min = 0
	var depths []int
	for i, s := range topSeries(g.series()) {
		xy := make(plotter.XYs, len(s.Points))
		for k, r := range s.Points {
			xy[k] = plotter.XY{X: float64(r.Job.IODepth), Y: r.IOPS}
			depths = append(depths, r.Job.IODepth)
		}
		if err := addLine(p, xy, s.Daemon.Label(vary), seriesColor(i), nil); err != nil {
			return err
		}
	}
	refs := g.refSeries()
	for i, name := range sortedKeys(refs) {
		xy := make(plotter.XYs, len(refs[name]))
		for k, r := range refs[name] {
			xy[k] = plotter.XY{X: float64(r.Job.IODepth), Y: r.IOPS}
		}
		if err := addLine(p, xy, name+" (kernel)", refColor(i), []vg.Length{vg.Points(5), vg.Points(3)}); err != nil {
			return err
		}
	}
	iodepthAxis(p, depths)
	return savePlot(p, path)
}

// addLine adds a line with a marker at each point and its legend entry.
func addLine(p *plot.Plot, xy plotter.XYs, label string, col color.Color, dashes []vg.Length) error {
	l, pts, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	l.Color, l.Width, l.Dashes = col, vg.Points(1.5), dashes
	pts.Color, pts.Shape, pts.Radius = col, draw.CircleGlyph{}, vg.Points(2.5)
	p.Add(l, pts)
	p.Legend.Add(label, l, pts)
	return nil
}

// topSeries keeps the configurations with the most IOPS on average, so a big matrix still
// gives a plot one can read.
func topSeries(ss []series) []series {
	if len(ss) <= maxSeries {
		return ss
	}
	ss = slices.Clone(ss)
	slices.SortStableFunc(ss, func(a, b series) int {
		switch {
		case a.meanIOPS() > b.meanIOPS():
			return -1
		case a.meanIOPS() < b.meanIOPS():
			return 1
		}
		return 0
	})
	return ss[:maxSeries]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
