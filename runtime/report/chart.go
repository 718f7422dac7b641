package report

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"image/color"
	"math"
	"regexp"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// palette is Okabe and Ito's colour-blind safe set; policy i gets
// palette[i % len].
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7F7F7F", "#F0E442", "#000000"}

func policyColor(i int) string { return palette[i%len(palette)] }

func rgb(hex string) color.Color {
	var r, g, b uint8
	fmt.Sscanf(hex, "#%02x%02x%02x", &r, &g, &b)
	return color.RGBA{r, g, b, 255}
}

// Charts use Liberation Sans, whose widths are Arial's and Helvetica's, so
// the layout gonum measures holds when the browser falls back to those.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newPlot returns a plot whose every text uses sans.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, 12)
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 11)
		a.Tick.Label.Font = font.From(sans, 10)
	}
	p.Legend.TextStyle.Font = font.From(sans, 10)
	return p
}

var (
	svgHead    = regexp.MustCompile(`(?s)^.*?<svg width="([0-9.]+)pt" height="([0-9.]+)pt"`)
	fontFamily = regexp.MustCompile(`font-family:([^;"]+);`)
)

// inlineSVG draws p at w x h and returns it as an <svg> element fit for
// inlining in HTML: no XML prolog, scalable (viewBox kept, width from
// CSS), labelled for screen readers, and with generic font families
// after the chart font so that no font file is ever needed.
func inlineSVG(p *plot.Plot, w, h vg.Length, label string) (template.HTML, error) {
	c := vgsvg.New(w, h)
	if err := drawSafe(p, c); err != nil {
		return "", err
	}
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", err
	}
	s := b.String()
	m := svgHead.FindStringSubmatch(s)
	if m == nil {
		return "", fmt.Errorf("report: unexpected SVG from the plot library")
	}
	head := fmt.Sprintf(`<svg class="chart" role="img" aria-label="%s" style="max-width:%spx" data-width="%s" data-height="%s"`,
		html.EscapeString(label), m[1], m[1], m[2])
	s = head + s[len(m[0]):]
	s = strings.Replace(s, ">", "><title>"+html.EscapeString(label)+"</title>", 1)
	s = fontFamily.ReplaceAllStringFunc(s, func(f string) string {
		name := strings.TrimSpace(fontFamily.FindStringSubmatch(f)[1])
		return fmt.Sprintf("font-family:'%s',Arial,Helvetica,sans-serif;", name)
	})
	return template.HTML(s), nil
}

// drawSafe turns a panic of the plot library (it panics on some bad
// input) into an error.
func drawSafe(p *plot.Plot, c *vgsvg.Canvas) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("report: drawing chart %q: %v", p.Title.Text, r)
		}
	}()
	p.Draw(draw.New(c))
	return nil
}

// finite reports whether every x is a finite number.
func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// ciRows is the data of a dot-and-whisker chart: one row per label, one
// point with its interval per series in each row.
type ciRows struct {
	Rows   []string // top to bottom
	Series []string
	Colors []string
	// Value[s][r] with its interval; NaN leaves a point out.
	Mean, Low, High [][]float64
	// Overlay draws every series on the row's centre line (each row
	// holds one series' point: one colour per row).
	Overlay bool
}

// xyErr feeds gonum's scatter and error bars.
type xyErr struct {
	x, y, lo, hi []float64
}

func (d xyErr) Len() int                        { return len(d.x) }
func (d xyErr) XY(i int) (float64, float64)     { return d.x[i], d.y[i] }
func (d xyErr) XError(i int) (float64, float64) { return d.x[i] - d.lo[i], d.hi[i] - d.x[i] }

// ciChart draws means as dots with their 95% confidence intervals as
// horizontal whiskers, one row per label, series side by side within a
// row (first series on top). Horizontal rows leave room for long mission
// names. The legend is the caller's: HTML swatches in policy colours.
func ciChart(d ciRows, title, xLabel string) (template.HTML, error) {
	p := newPlot(title, xLabel, "")
	lo, hi := math.Inf(1), math.Inf(-1)
	n := len(d.Rows)
	ns := len(d.Series)
	band := 0.7 // part of a row the series spread over
	drawn := false
	for s := range d.Series {
		var pts xyErr
		off := 0.0
		if ns > 1 && !d.Overlay {
			off = band/2 - band*float64(s)/float64(ns-1)
		}
		for r := range d.Rows {
			m, lo, hi := d.Mean[s][r], d.Low[s][r], d.High[s][r]
			if !finite(m) {
				continue
			}
			if !finite(lo, hi) {
				lo, hi = m, m
			}
			pts.x = append(pts.x, m)
			pts.y = append(pts.y, float64(n-1-r)+off)
			pts.lo = append(pts.lo, min(lo, m))
			pts.hi = append(pts.hi, max(hi, m))
		}
		if pts.Len() == 0 {
			continue
		}
		drawn = true
		col := rgb(d.Colors[s])
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return "", err
		}
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Color = col
		sc.GlyphStyle.Radius = vg.Points(3.2)
		eb, err := plotter.NewXErrorBars(pts)
		if err != nil {
			return "", err
		}
		eb.LineStyle.Color = col
		eb.LineStyle.Width = vg.Points(1.4)
		eb.CapWidth = vg.Points(5)
		p.Add(eb, sc)
		for i := range pts.x {
			lo, hi = min(lo, pts.lo[i]), max(hi, pts.hi[i])
		}
	}
	if !drawn {
		return "", nil
	}
	ticks := make([]plot.Tick, n)
	for r, name := range d.Rows {
		ticks[r] = plot.Tick{Value: float64(n - 1 - r), Label: name}
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4
	// Pad the value axis so that no dot or whisker sits on the frame.
	pad := (hi - lo) * 0.06
	if pad == 0 {
		pad = max(math.Abs(hi)*0.1, 1)
	}
	p.X.Min, p.X.Max = lo-pad, hi+pad
	grid := plotter.NewGrid()
	grid.Horizontal.Color = color.Gray{Y: 235}
	grid.Vertical.Color = color.Gray{Y: 225}
	p.Add(grid)
	perRow := 22 + 10*float64(ns)
	if d.Overlay {
		perRow = 30
	}
	height := vg.Points(90 + float64(n)*perRow)
	return inlineSVG(p, vg.Points(760), height, title)
}

// series is one line of a line chart.
type series struct {
	Name  string
	Color string
	X, Y  []float64
}

// lineChart draws one or more series over a shared x axis; points that
// are not finite are left out. The legend is the caller's, in HTML.
func lineChart(title, xLabel, yLabel string, ss []series) (template.HTML, error) {
	p := newPlot(title, xLabel, yLabel)
	drawn := false
	for _, s := range ss {
		var xy plotter.XYs
		for i := range s.X {
			if finite(s.X[i], s.Y[i]) {
				xy = append(xy, plotter.XY{X: s.X[i], Y: s.Y[i]})
			}
		}
		if len(xy) == 0 {
			continue
		}
		drawn = true
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return "", err
		}
		l.LineStyle.Color = rgb(s.Color)
		l.LineStyle.Width = vg.Points(1.5)
		pts.GlyphStyle.Color = rgb(s.Color)
		pts.GlyphStyle.Radius = vg.Points(1.6)
		pts.GlyphStyle.Shape = draw.CircleGlyph{}
		if len(xy) > 60 {
			pts = nil // too many markers hide the line
		}
		if pts != nil {
			p.Add(l, pts)
		} else {
			p.Add(l)
		}
	}
	if !drawn {
		return "", nil
	}
	grid := plotter.NewGrid()
	grid.Horizontal.Color = color.Gray{Y: 230}
	grid.Vertical.Color = color.Gray{Y: 230}
	p.Add(grid)
	return inlineSVG(p, vg.Points(440), vg.Points(250), title)
}
