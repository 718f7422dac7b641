package report

import (
	"fmt"
	"html"
	"html/template"
	"sort"
	"strings"

	"github.com/dafscript/dafscript/runtime/analysis"
)

func missionAnalysisKind() *kind {
	return newKind("mission_analysis", missionSections,
		ForType[analysis.MissionAnalysis](),
		WithMarkdown(missionMarkdown),
		WithTitle(func(v any) string {
			a, err := As[analysis.MissionAnalysis](v)
			if err != nil {
				return "Mission analysis"
			}
			return "Mission analysis: " + a.Name
		}),
		FromJSON[analysis.MissionAnalysis]("name", "object_counts", "resource_budget", "grid"))
}

// cellStyle is how the map draws one kind of cell.
type cellStyle struct {
	Name  string
	Fill  string
	Shape string // "rect" fills the cell, "circle" an agent, "tile" a station with its letter
}

// mapStyles by the characters of MissionAnalysis.Grid: the map files'
// characters, extractors in lower case; an upper-case letter is that
// station starting clipped.
var mapStyles = map[byte]cellStyle{
	'#': {"wall", "#4b5563", "rect"},
	'@': {"agent", "#e11d48", "circle"},
	'+': {"charger", "#f5b800", "tile"},
	'&': {"assembler", "#7c3aed", "tile"},
	'=': {"chest", "#ea580c", "tile"},
	'c': {"carbon_extractor", "#334155", "tile"},
	'o': {"oxygen_extractor", "#0ea5e9", "tile"},
	'g': {"germanium_extractor", "#16a34a", "tile"},
	's': {"silicon_extractor", "#94a3b8", "tile"},
}

// clippedStyle marks a station that starts clipped (its outline).
var clippedStyle = cellStyle{"starts clipped", "#dc2626", "outline"}

// styleOf returns the style of a grid character and whether it is a
// clipped station.
func styleOf(ch byte) (cellStyle, bool) {
	if st, ok := mapStyles[ch]; ok {
		return st, false
	}
	if ch >= 'A' && ch <= 'Z' {
		if st, ok := mapStyles[ch-'A'+'a']; ok && st.Shape == "tile" {
			return st, true
		}
	}
	return otherStyle, false
}

var otherStyle = cellStyle{"other", "#a16207", "tile"}

// mapSVG draws an ASCII grid: walls as merged runs, stations as coloured
// tiles with their letter (when cells are big enough to read), agents as
// dots. Hand-written rather than a plot: a map is cells, not data on axes.
func mapSVG(grid []string, title string) (template.HTML, []cellStyle) {
	h := len(grid)
	w := 0
	for _, r := range grid {
		w = max(w, len(r))
	}
	if w == 0 || h == 0 {
		return "", nil
	}
	cell := max(2, min(18, 820/w, 820/h))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="map" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" shape-rendering="crispEdges">`,
		html.EscapeString(title), w*cell, h*cell, w*cell, h*cell)
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(title))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`, w*cell, h*cell)
	used := map[string]cellStyle{}
	// Walls: one rect per horizontal run keeps large maps small.
	b.WriteString(`<g class="walls" fill="` + mapStyles['#'].Fill + `">`)
	for y, row := range grid {
		for x := 0; x < len(row); {
			if row[x] != '#' {
				x++
				continue
			}
			x0 := x
			for x < len(row) && row[x] == '#' {
				x++
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d"/>`, x0*cell, y*cell, (x-x0)*cell, cell)
			used["wall"] = mapStyles['#']
		}
	}
	b.WriteString(`</g><g class="objects" font-family="Arial,Helvetica,'Liberation Sans',sans-serif" font-weight="700" text-anchor="middle">`)
	letters := cell >= 10
	for y, row := range grid {
		for x := 0; x < len(row); x++ {
			ch := row[x]
			if ch == '#' || ch == '.' || ch == ' ' {
				continue
			}
			st, clipped := styleOf(ch)
			used[st.Name] = st
			px, py := x*cell, y*cell
			switch st.Shape {
			case "circle":
				fmt.Fprintf(&b, `<circle cx="%g" cy="%g" r="%g" fill="%s"/>`, float64(px)+float64(cell)/2, float64(py)+float64(cell)/2, float64(cell)*0.42, st.Fill)
			default:
				fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`, px, py, cell, cell, st.Fill)
				if clipped {
					used[clippedStyle.Name] = clippedStyle
					w := max(1, float64(cell)/6)
					fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="%s" stroke-width="%g"/>`,
						float64(px)+w/2, float64(py)+w/2, float64(cell)-w, float64(cell)-w, clippedStyle.Fill, w)
				}
				if letters {
					fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="%g" fill="#ffffff">%s</text>`,
						float64(px)+float64(cell)/2, float64(py)+float64(cell)*0.75, float64(cell)*0.68, html.EscapeString(string(ch)))
				}
			}
		}
	}
	b.WriteString(`</g></svg>`)
	legend := make([]cellStyle, 0, len(used))
	for _, s := range used {
		legend = append(legend, s)
	}
	sort.Slice(legend, func(i, j int) bool { return legend[i].Name < legend[j].Name })
	return template.HTML(b.String()), legend
}

var missionTmpl = newTemplate("mission", `<table class="facts mission-facts">
<tbody>
<tr><th scope="row">Mission</th><td><code>{{.A.Name}}</code></td></tr>
<tr><th scope="row">Loads</th><td>{{if .A.Loadable}}<span class="ok">yes</span>{{else}}<span class="fail">no</span>{{end}}</td></tr>
<tr><th scope="row">Agents</th><td>{{.A.NumAgents}}</td></tr>
<tr><th scope="row">Max steps</th><td>{{.A.MaxSteps}}</td></tr>
<tr><th scope="row">Size</th><td>{{.A.Width}} × {{.A.Height}}</td></tr>
<tr><th scope="row">Every station reachable</th><td>{{if .A.AllReachable}}<span class="ok">yes</span>{{else}}<span class="fail">no</span>{{end}}</td></tr>
<tr><th scope="row">Most hearts the map can fund</th><td>{{.A.MaxHearts}}</td></tr>
</tbody>
</table>
{{- if .A.Errors}}
<div class="errors" role="alert"><strong>Errors</strong><ul>{{range .A.Errors}}<li>{{.}}</li>{{end}}</ul></div>
{{- end}}
{{- if .Map}}
<h3>Map</h3>
<figure class="chart-box">{{.Map}}
<figcaption><ul class="legend">{{range .Legend}}<li><span class="swatch" style="{{if eq .Shape "outline"}}border:2px solid {{css .Fill}}{{else}}background:{{css .Fill}}{{end}}{{if eq .Shape "circle"}};border-radius:50%{{end}}"></span>{{.Name}}</li>{{end}}</ul></figcaption>
</figure>
{{- end}}
<h3>Objects</h3>
<table class="object-counts">
<thead><tr><th>Object</th><th class="num">Count</th></tr></thead>
<tbody>
{{- range .Objects}}
<tr><td>{{.Key}}</td><td class="num">{{.Value}}</td></tr>
{{- end}}
</tbody>
</table>
<h3>Resource budget</h3>
<p>The most of each resource the map's extractors can yield within {{.A.MaxSteps}} steps, given their uses and cooldowns.</p>
<table class="resource-budget">
<thead><tr><th>Resource</th><th class="num">Budget</th></tr></thead>
<tbody>
{{- range .Budget}}
<tr><td>{{.Key}}</td><td class="num">{{.Value}}</td></tr>
{{- end}}
</tbody>
</table>
<h3>Reachability</h3>
{{- if .A.AllReachable}}
<p class="ok">Every station can be used from every spawn.</p>
{{- else}}
<p class="fail">Not every station can be reached:</p>
<ul class="unreachable">{{range .A.Unreachable}}<li><code>{{.}}</code></li>{{end}}</ul>
{{- end}}
`)

type kv struct {
	Key   string
	Value int
}

func sortedKV(m map[string]int) []kv {
	out := make([]kv, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, kv{k, m[k]})
	}
	return out
}

func missionSections(v any) ([]Section, error) {
	a, err := As[analysis.MissionAnalysis](v)
	if err != nil {
		return nil, err
	}
	svg, legend := mapSVG(a.Grid, "Map of "+a.Name)
	body, err := execute(missionTmpl, map[string]any{
		"A": a, "Map": svg, "Legend": legend, "Objects": sortedKV(a.ObjectCounts), "Budget": sortedKV(a.ResourceBudget),
	})
	if err != nil {
		return nil, err
	}
	return []Section{{ID: "mission-" + a.Name, Title: "Mission " + a.Name, Body: body}}, nil
}

func missionMarkdown(v any) (string, error) {
	a, err := As[analysis.MissionAnalysis](v)
	if err != nil {
		return "", err
	}
	yes := map[bool]string{true: "yes", false: "no"}
	rows := [][]string{
		{"Loads", yes[a.Loadable]},
		{"Agents", fmt.Sprint(a.NumAgents)},
		{"Max steps", fmt.Sprint(a.MaxSteps)},
		{"Size", fmt.Sprintf("%d × %d", a.Width, a.Height)},
		{"Every station reachable", yes[a.AllReachable]},
		{"Most hearts the map can fund", fmt.Sprint(a.MaxHearts)},
	}
	for _, r := range sortedKV(a.ResourceBudget) {
		rows = append(rows, []string{"Budget: " + r.Key, fmt.Sprint(r.Value)})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**Mission `%s`**\n\n", a.Name)
	b.WriteString(mdTable([]string{"Property", "Value"}, "lr", rows))
	for _, e := range a.Errors {
		fmt.Fprintf(&b, "\n> ✗ %s", strings.ReplaceAll(e, "\n", " "))
	}
	for _, u := range a.Unreachable {
		fmt.Fprintf(&b, "\n> unreachable: %s", u)
	}
	if len(a.Errors)+len(a.Unreachable) > 0 {
		b.WriteString("\n")
	}
	return b.String(), nil
}
