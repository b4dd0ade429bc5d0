package perf

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Plot size: wide enough for a legend beside eight lines, small enough for a README.
const (
	plotW = 7 * vg.Inch
	plotH = 4.2 * vg.Inch
	// maxSeries caps the configurations one line plot draws; the tables have them all.
	maxSeries = 8
)

// errNoData means a plot would have been empty, so it is not written.
var errNoData = errors.New("no data to plot")

// refColor draws the i-th reference device in grey, so dadi's own lines stand out.
func refColor(i int) color.Color {
	return []color.Color{color.Gray{Y: 90}, color.Gray{Y: 160}}[i%2]
}

// seriesColors tell up to maxSeries configurations apart, dark enough on white.
var seriesColors = []color.RGBA{
	{31, 119, 180, 255}, {214, 39, 40, 255}, {44, 160, 44, 255}, {255, 127, 14, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {23, 190, 207, 255},
}

// seriesColor is the colour of the i-th dadi configuration.
func seriesColor(i int) color.Color { return seriesColors[i%len(seriesColors)] }

// newPlot is a plot with the title and axes every chart here shares.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	return p
}

// iodepthAxis puts iodepth on a log2 axis when it has several values: 1, 2, 4 ... 256 are
// then evenly spaced.
func iodepthAxis(p *plot.Plot, depths []int) {
	slices.Sort(depths)
	depths = slices.Compact(depths)
	ticks := make(plot.ConstantTicks, len(depths))
	for i, d := range depths {
		ticks[i] = plot.Tick{Value: float64(d), Label: strconv.Itoa(d)}
	}
	p.X.Tick.Marker = ticks
	if len(depths) > 1 {
		p.X.Scale = plot.LogScale{}
		p.X.Min, p.X.Max = float64(depths[0])/1.2, float64(depths[len(depths)-1])*1.2
	} else {
		p.X.Min, p.X.Max = float64(depths[0])-1, float64(depths[0])+1
	}
}

// logYAxis makes the Y axis logarithmic with readable ticks at 1, 2, 5 × 10^n.
func logYAxis(p *plot.Plot, lo, hi float64, format func(float64) string) {
	p.Y.Scale = plot.LogScale{}
	p.Y.Min, p.Y.Max = lo/1.3, hi*1.3
	var ticks plot.ConstantTicks
	for e := math.Floor(math.Log10(p.Y.Min)); e <= math.Ceil(math.Log10(p.Y.Max)); e++ {
		for _, m := range []float64{1, 2, 5} {
			if v := m * math.Pow(10, e); v >= p.Y.Min && v <= p.Y.Max {
				ticks = append(ticks, plot.Tick{Value: v, Label: format(v)})
			}
		}
	}
	p.Y.Tick.Marker = ticks
}

// kiloTicks labels a linear axis of counts with k and M.
type kiloTicks struct{}

func (kiloTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = kilo(ticks[i].Value)
		}
	}
	return ticks
}

// savePlot writes p to path in the format its extension names (svg here; png is handy when
// looking at a change to the plots). The legend goes in a column right of the data, where it
// hides no line however many there are.
func savePlot(p *plot.Plot, path string) error {
	c, err := newCanvas(path)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	legend := p.Legend
	p.Legend = plot.NewLegend()
	r := legend.Rectangle(dc)
	legendW := r.Max.X - r.Min.X + vg.Points(12)
	p.Draw(draw.Crop(dc, 0, -legendW, 0, 0))
	legend.Top, legend.Left = true, true
	legend.Draw(draw.Crop(dc, plotW-legendW+vg.Points(6), 0, 0, -vg.Points(24)))
	return writeCanvas(c, path)
}

func newCanvas(path string) (vg.CanvasWriterTo, error) {
	return draw.NewFormattedCanvas(plotW, plotH, strings.TrimPrefix(filepath.Ext(path), "."))
}

func writeCanvas(c vg.CanvasWriterTo, path string) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := c.WriteTo(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
