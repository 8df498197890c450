package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart geometry: one panel per mode, side by side.
const (
	panelWidth  = 5 * vg.Inch
	chartHeight = 4 * vg.Inch
	chartDPI    = 120
)

// writeCharts draws, for each value size, ops/s against goroutines (log x
// axis), one line per client and one panel per mode, with the ceiling as
// a dashed line; both axes are logarithmic. It returns the names of the files written.
func writeCharts(dir string, g grid, ceilings []Ceiling) ([]string, error) {
	var names []string
	for _, size := range chartSizes(g) {
		name := chartName(size)
		if err := writeChart(filepath.Join(dir, name), g, ceilings, size); err != nil {
			return names, fmt.Errorf("chart %s: %w", name, err)
		}
		names = append(names, name)
	}
	return names, nil
}

// chartSizes returns every value size measured, in order of first use.
func chartSizes(g grid) []int {
	var sizes []int
	seen := map[int]bool{}
	for _, k := range g.settings {
		if !seen[k.Size] {
			seen[k.Size] = true
			sizes = append(sizes, k.Size)
		}
	}
	return sizes
}

// chartName names the chart of a value size: ops-per-second.png for
// 64-byte values, ops-per-second-SIZE.png for the others.
func chartName(size int) string {
	if size == 64 {
		return "ops-per-second.png"
	}
	return "ops-per-second-" + strconv.Itoa(size) + "B.png"
}

// writeChart draws one value size into path as a PNG.
func writeChart(path string, g grid, ceilings []Ceiling, size int) error {
	modes := g.modesAt(size)
	row := make([]*plot.Plot, len(modes))
	top, bottom := 0.0, math.Inf(1)
	for i, mode := range modes {
		p, lo, hi, err := modePlot(g, ceilingFor(ceilings, mode, size), mode, size)
		if err != nil {
			return err
		}
		row[i], bottom, top = p, min(bottom, lo), max(top, hi)
	}
	if top <= 0 {
		return fmt.Errorf("nothing to draw for %s values", sizeLabel(size))
	}
	if math.IsInf(bottom, 1) { // only a ceiling to draw
		bottom = top / 10
	}
	bottom = math.Pow(10, math.Floor(math.Log10(bottom)))
	for _, p := range row {
		p.Y.Min, p.Y.Max = bottom, top*1.3 // one scale for every panel
	}
	img := vgimg.NewWith(vgimg.UseWH(panelWidth*vg.Length(len(modes)), chartHeight), vgimg.UseDPI(chartDPI))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(modes), PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2,
		PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{row}, tiles, dc)
	for i, p := range row {
		p.Draw(canvases[0][i])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// modePlot draws one mode's panel and returns it with its lowest and
// highest values.
func modePlot(g grid, ceiling float64, mode string, size int) (p *plot.Plot, lo, hi float64, err error) {
	p = plot.New()
	p.Title.Text = fmt.Sprintf("%s, %s values, %d%% GET", g.modeLabel(mode), sizeLabel(size), getPercent)
	p.X.Label.Text = "goroutines"
	p.Y.Label.Text = "ops/s (median of rounds)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	concs := g.concurrencies(mode, size)
	if len(concs) > 0 { // a margin, and a range even for one point
		p.X.Min, p.X.Max = float64(concs[0])/1.4, float64(concs[len(concs)-1])*1.4
	}
	p.X.Tick.Marker = concurrencyTicks(concs)
	p.Y.Tick.Marker = opsTicks{}
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Millimeter*2, vg.Millimeter*2
	p.Add(plotter.NewGrid())
	lo, hi = math.Inf(1), ceiling
	for i, client := range g.clients {
		xys := clientPoints(g, mode, size, concs, client)
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, 0, 0, err
		}
		line.Color, points.Color, points.Shape = plotutil.Color(i), plotutil.Color(i), plotutil.Shape(i)
		line.Width = vg.Points(1.5)
		p.Add(line, points)
		p.Legend.Add(client, line, points)
		for _, xy := range xys {
			lo, hi = min(lo, xy.Y), max(hi, xy.Y)
		}
	}
	return p, lo, hi, addCeiling(p, ceiling, concs)
}

// clientPoints returns (goroutines, median ops/s) for one client.
func clientPoints(g grid, mode string, size int, concs []int, client string) plotter.XYs {
	var xys plotter.XYs
	for _, c := range concs {
		if s, ok := g.cell(setting{mode, size, c}, client); ok && s.Rounds > 0 {
			xys = append(xys, plotter.XY{X: float64(c), Y: s.Median})
		}
	}
	return xys
}

// addCeiling draws the redis-benchmark 80/20 rate across the panel.
func addCeiling(p *plot.Plot, ceiling float64, concs []int) error {
	if ceiling <= 0 || len(concs) == 0 {
		return nil
	}
	line, err := plotter.NewLine(plotter.XYs{
		{X: float64(concs[0]), Y: ceiling}, {X: float64(concs[len(concs)-1]), Y: ceiling},
	})
	if err != nil {
		return err
	}
	line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	line.Color = color.Gray{Y: 80}
	p.Add(line)
	p.Legend.Add(fmt.Sprintf("redis-benchmark -P %d (80/20)", ceilingPipeline), line)
	return nil
}

// ceilingFor returns the 80/20 ceiling measured for mode and size, or 0.
func ceilingFor(cs []Ceiling, mode string, size int) float64 {
	for _, c := range cs {
		if c.Mode == mode && c.Size == size && c.Error == "" {
			return c.MixRPS
		}
	}
	return 0
}

// concurrencyTicks labels exactly the goroutine counts measured.
func concurrencyTicks(concs []int) plot.ConstantTicks {
	ticks := make(plot.ConstantTicks, len(concs))
	for i, c := range concs {
		ticks[i] = plot.Tick{Value: float64(c), Label: strconv.Itoa(c)}
	}
	return ticks
}

// opsTicks labels a log axis at 1, 2 and 5 times each power of ten, as
// 10k, 20k, 50k, 100k, ...
type opsTicks struct{}

// Ticks implements plot.Ticker.
func (opsTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for p := math.Pow(10, math.Floor(math.Log10(lo))); p <= hi; p *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if v := m * p; v >= lo && v <= hi {
				ticks = append(ticks, plot.Tick{Value: v, Label: humanTick(v)})
			}
		}
	}
	return ticks
}

// humanTick formats an axis value without trailing zeros: 0, 250k, 1.5M.
func humanTick(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
