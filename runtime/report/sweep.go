package report

import (
	"fmt"
	"html/template"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/dafscript/dafscript/runtime/sweep"
)

func sweepKind() *kind {
	return typedKind("sweep", sweepSections, sweepMarkdown, "Hyperparameter sweep",
		func(r sweep.Result) string {
			return "Hyperparameter sweep: " + r.Name
		},
		"trials", "best_trial", "search_space", "strategy")
}

var sweepTmpl = newTemplate("sweep", `<table class="facts sweep-facts">
<tbody>
<tr><th scope="row">Strategy</th><td>{{.R.Strategy}}{{if ne .R.Strategy "grid"}} ({{.R.NumTrials}} trials){{end}}</td></tr>
<tr><th scope="row">Objective</th><td><code>{{.R.Objective}}</code>, {{.R.Direction}}d</td></tr>
<tr><th scope="row">Pruner</th><td>{{.R.Pruner}}</td></tr>
<tr><th scope="row">Trials</th><td>{{.Complete}} complete, {{.Pruned}} pruned, {{.Failed}} failed</td></tr>
<tr><th scope="row">Seed</th><td>{{.R.Seed}}</td></tr>
{{- if .Best}}
<tr><th scope="row">Best</th><td>trial {{.Best.Number}}: {{num .BestValue}}</td></tr>
{{- end}}
</tbody>
</table>
{{- if .Best}}
<h3>Best hyperparameters</h3>
<table class="best-hyperparameters">
<thead><tr><th>Name</th><th class="num">Value</th></tr></thead>
<tbody>
{{- range .BestParams}}
<tr><td><code>{{.Name}}</code></td><td class="num">{{.Value}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
<h3>Optimisation history</h3>
{{- if .History}}
<figure class="chart-box">{{.History}}<figcaption><ul class="legend"><li><span class="swatch" style="background:{{css .CComplete}}"></span>complete</li><li><span class="swatch" style="background:{{css .CPruned}}"></span>pruned (last reported value)</li><li><span class="swatch" style="background:{{css .CBest}}"></span>best so far</li></ul></figcaption></figure>
{{- else}}
<p class="muted">No trial has a value to plot.</p>
{{- end}}
<h3>Parallel coordinates</h3>
{{- if .Parallel}}
<figure class="chart-box">{{.Parallel}}<figcaption><ul class="legend"><li><span class="swatch" style="background:{{css .CTop}}"></span>best quarter of the complete trials</li><li><span class="swatch" style="background:{{css .COther}}"></span>other complete trials</li></ul></figcaption></figure>
<p class="note">One line per complete trial. Each axis runs from the parameter's minimum (or first listed value) at 0 to its maximum (or last value) at 1, on a log scale for log ranges; the last axis is the objective, from its worst value at 0 to its best at 1.</p>
{{- else}}
<p class="muted">Fewer than two complete trials: nothing to draw.</p>
{{- end}}
<h3>Parameter importance</h3>
{{- if .R.Importance}}
{{- if .ImportanceChart}}
<figure class="chart-box">{{.ImportanceChart}}</figure>
{{- end}}
<table class="importance">
<thead><tr><th>Parameter</th><th class="num">Share</th><th class="num">η²</th></tr></thead>
<tbody>
{{- range .R.Importance}}
<tr><td><code>{{.Parameter}}</code></td><td class="num">{{pct .Share}}</td><td class="num">{{num .EtaSquared}}</td></tr>
{{- end}}
</tbody>
</table>
<p class="note">η² is the share of the variance of the objective over the complete trials explained by grouping them by the parameter (one group per listed value; about √n equal groups by rank for a range): a one-way analysis of variance per parameter. Share normalises η² over the parameters. Effects that exist only through interactions between parameters are not shown.</p>
{{- else}}
<p class="muted">Importance needs at least three complete trials whose values differ.</p>
{{- end}}
<h3>Trials</h3>
<table class="trials">
<thead><tr><th class="num">Trial</th><th>Status</th><th class="num">{{.R.Objective}}</th>{{range .R.Parameters}}<th class="num">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr{{if .Best}} class="best"{{end}}><td class="num">{{.Number}}</td><td>{{.Status}}</td><td class="num">{{.Value}}</td>{{range .Params}}<td class="num">{{.}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
`)

type sweepParam struct {
	Name, Value string
}

type sweepRow struct {
	Number int
	Status string
	Value  string
	Params []string
	Best   bool
}

func sweepSections(r sweep.Result) ([]Section, error) {
	data := map[string]any{
		"R": r, "Complete": r.Count(sweep.StatusComplete), "Pruned": r.Count(sweep.StatusPruned), "Failed": r.Count(sweep.StatusFailed),
		"CComplete": palette[0], "CPruned": palette[3], "CBest": palette[5], "CTop": palette[5], "COther": "#BBBBBB",
	}
	if b, ok := r.Best(); ok {
		data["Best"] = b
		data["BestValue"] = *b.Value
		var ps []sweepParam
		for _, p := range r.Parameters {
			ps = append(ps, sweepParam{p, sweep.FormatValue(b.Params[p])})
		}
		data["BestParams"] = ps
	}
	var rows []sweepRow
	for _, t := range r.Trials {
		row := sweepRow{Number: t.Number, Status: string(t.Status), Value: "—", Best: t.Number == r.BestTrial}
		if t.Value != nil {
			row.Value = num(*t.Value)
		}
		for _, p := range r.Parameters {
			row.Params = append(row.Params, sweep.FormatValue(t.Params[p]))
		}
		rows = append(rows, row)
	}
	data["Rows"] = rows
	var err error
	if data["History"], err = historyChart(&r); err != nil {
		return nil, err
	}
	if data["Parallel"], err = parallelChart(&r); err != nil {
		return nil, err
	}
	if data["ImportanceChart"], err = importanceChart(&r); err != nil {
		return nil, err
	}
	body, err := execute(sweepTmpl, data)
	if err != nil {
		return nil, err
	}
	return []Section{{ID: "sweep-" + r.Name, Title: "Sweep " + r.Name, Body: body}}, nil
}

// historyChart plots each trial's value against its number, pruned
// trials apart, and the best value so far as a step line.
func historyChart(r *sweep.Result) (template.HTML, error) {
	var complete, pruned, best plotter.XYs
	have := false
	var cur float64
	for _, t := range r.Trials {
		if t.Value == nil || !finite(*t.Value) {
			continue
		}
		xy := plotter.XY{X: float64(t.Number), Y: *t.Value}
		if t.Status == sweep.StatusPruned {
			pruned = append(pruned, xy)
			continue
		}
		complete = append(complete, xy)
		better := *t.Value > cur
		if r.Direction == "minimize" {
			better = *t.Value < cur
		}
		if !have || better {
			cur, have = *t.Value, true
		}
		best = append(best, plotter.XY{X: float64(t.Number), Y: cur})
	}
	if len(complete)+len(pruned) == 0 {
		return "", nil
	}
	p := newPlot("Optimisation history", "trial", r.Objective)
	if len(best) > 0 {
		l, err := plotter.NewLine(best)
		if err != nil {
			return "", err
		}
		l.StepStyle = plotter.PostStep
		l.LineStyle.Color = rgb(palette[5])
		l.LineStyle.Width = vg.Points(1.5)
		p.Add(l)
	}
	for _, s := range []struct {
		xy    plotter.XYs
		color string
		shape draw.GlyphDrawer
	}{{complete, palette[0], draw.CircleGlyph{}}, {pruned, palette[3], draw.CrossGlyph{}}} {
		if len(s.xy) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(s.xy)
		if err != nil {
			return "", err
		}
		sc.GlyphStyle.Color = rgb(s.color)
		sc.GlyphStyle.Radius = vg.Points(2.5)
		if s.color == palette[3] {
			sc.GlyphStyle.Radius = vg.Points(3.5)
		}
		sc.GlyphStyle.Shape = s.shape
		p.Add(sc)
	}
	grid := plotter.NewGrid()
	grid.Horizontal.Color = color.Gray{Y: 230}
	grid.Vertical.Color = color.Gray{Y: 230}
	p.Add(grid)
	return inlineSVG(p, vg.Points(620), vg.Points(280), "Optimisation history")
}

// parallelChart draws one line per complete trial across the parameter
// axes and the objective; the best quarter stands out.
func parallelChart(r *sweep.Result) (template.HTML, error) {
	var trials []sweep.Trial
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, t := range r.Trials {
		if t.Status == sweep.StatusComplete && finite(*t.Value) {
			trials = append(trials, t)
			lo, hi = math.Min(lo, *t.Value), math.Max(hi, *t.Value)
		}
	}
	if len(trials) < 2 {
		return "", nil
	}
	top := map[int]bool{}
	for _, t := range r.Top(max(1, len(trials)/4)) {
		top[t.Number] = true
	}
	axes := append(append([]string(nil), r.Parameters...), r.Objective)
	p := newPlot("Parallel coordinates", "", "position on the axis")
	p.Y.Min, p.Y.Max = 0, 1
	p.X.Min, p.X.Max = -0.1, float64(len(axes)-1)+0.1
	var ticks []plot.Tick
	for i, a := range axes {
		ticks = append(ticks, plot.Tick{Value: float64(i), Label: a})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	// Others first, the best quarter drawn on top.
	for _, wantTop := range []bool{false, true} {
		for _, t := range trials {
			if top[t.Number] != wantTop {
				continue
			}
			var xy plotter.XYs
			for i, a := range r.Parameters {
				y, ok := r.Position(a, t.Params[a])
				if !ok {
					continue
				}
				xy = append(xy, plotter.XY{X: float64(i), Y: y})
			}
			y := 0.5
			if hi > lo {
				y = (*t.Value - lo) / (hi - lo)
				if r.Direction == "minimize" {
					y = 1 - y
				}
			}
			xy = append(xy, plotter.XY{X: float64(len(axes) - 1), Y: y})
			l, err := plotter.NewLine(xy)
			if err != nil {
				return "", err
			}
			l.LineStyle.Width = vg.Points(1)
			l.LineStyle.Color = rgb("#BBBBBB")
			if wantTop {
				l.LineStyle.Color = rgb(palette[5])
				l.LineStyle.Width = vg.Points(1.6)
			}
			p.Add(l)
		}
	}
	for i := range axes {
		axis, err := plotter.NewLine(plotter.XYs{{X: float64(i), Y: 0}, {X: float64(i), Y: 1}})
		if err != nil {
			return "", err
		}
		axis.LineStyle.Color = color.Gray{Y: 120}
		p.Add(axis)
	}
	width := 160 + 110*float64(len(axes))
	return inlineSVG(p, vg.Points(math.Min(width, 900)), vg.Points(300), "Parallel coordinates")
}

// importanceChart draws the importance shares as bars.
func importanceChart(r *sweep.Result) (template.HTML, error) {
	if len(r.Importance) == 0 {
		return "", nil
	}
	vals := make(plotter.Values, len(r.Importance))
	names := make([]string, len(r.Importance))
	for i, im := range r.Importance {
		vals[i] = im.Share
		names[i] = im.Parameter
	}
	p := newPlot("Parameter importance", "", "share of explained variance")
	bars, err := plotter.NewBarChart(vals, vg.Points(28))
	if err != nil {
		return "", err
	}
	bars.Color = rgb(palette[0])
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalX(names...)
	p.Y.Min = 0
	return inlineSVG(p, vg.Points(math.Min(160+60*float64(len(names)), 700)), vg.Points(240), "Parameter importance")
}

func sweepMarkdown(r sweep.Result) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "**Hyperparameter sweep %s** — %s, objective `%s` (%s), pruner %s, seed %d: %d complete, %d pruned, %d failed\n\n",
		mdEscape(r.Name), r.Strategy, mdEscape(r.Objective), r.Direction, r.Pruner, r.Seed,
		r.Count(sweep.StatusComplete), r.Count(sweep.StatusPruned), r.Count(sweep.StatusFailed))
	hdr := append([]string{"Trial", "Status", r.Objective}, r.Parameters...)
	align := "rlr" + strings.Repeat("r", len(r.Parameters))
	var rows [][]string
	for _, t := range r.Trials {
		n := fmt.Sprint(t.Number)
		if t.Number == r.BestTrial {
			n = "**" + n + "**"
		}
		val := "—"
		if t.Value != nil {
			val = num(*t.Value)
		}
		row := []string{n, string(t.Status), val}
		for _, p := range r.Parameters {
			row = append(row, sweep.FormatValue(t.Params[p]))
		}
		rows = append(rows, row)
	}
	b.WriteString(mdTable(hdr, align, rows))
	if len(r.Importance) > 0 {
		var irows [][]string
		for _, im := range r.Importance {
			irows = append(irows, []string{im.Parameter, pct(im.Share), num(im.EtaSquared)})
		}
		b.WriteString("\n**Parameter importance** (η² of the objective per parameter)\n\n")
		b.WriteString(mdTable([]string{"Parameter", "Share", "η²"}, "lrr", irows))
	}
	return b.String(), nil
}
