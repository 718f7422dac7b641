package report

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/dafscript/dafscript/runtime/compare"
	"github.com/dafscript/dafscript/runtime/stats"
)

func comparisonKind() *kind {
	return newKind("comparison", comparisonSections,
		ForType[compare.Report](),
		WithMarkdown(comparisonMarkdown),
		WithTitle(func(v any) string {
			r, err := As[compare.Report](v)
			if err != nil {
				return "Policy comparison"
			}
			return fmt.Sprintf("Policy comparison: %s on %s", plural(len(r.Policies), "policy", "policies"), plural(len(r.Missions), "mission", "missions"))
		}),
		FromJSON[compare.Report]("policies", "missions", "summary_statistics", "pairwise_comparisons"))
}

func nanRow(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// rankedRow is one policy of the ranking.
type rankedRow struct {
	Rank   int
	Policy string
	Color  string
	S      stats.Summary
	VsBest string // "best", or the Holm-adjusted comparison with the best
	Best   bool
}

// ranking orders policies by mean (undefined means last), ties in the
// report's policy order and sharing a rank.
func ranking(r compare.Report) []rankedRow {
	idx := make([]int, len(r.Policies))
	for i := range idx {
		idx[i] = i
	}
	mean := func(i int) float64 { return r.SummaryStatistics[r.Policies[i]].Mean }
	sort.SliceStable(idx, func(a, b int) bool {
		ma, mb := mean(idx[a]), mean(idx[b])
		if math.IsNaN(mb) {
			return !math.IsNaN(ma)
		}
		return ma > mb
	})
	rows := make([]rankedRow, len(idx))
	for k, i := range idx {
		p := r.Policies[i]
		rows[k] = rankedRow{Rank: k + 1, Policy: p, Color: policyColor(i), S: r.SummaryStatistics[p]}
		// Equal means share a rank (1, 2, 2, 4).
		if k > 0 && rows[k].S.Mean == rows[k-1].S.Mean {
			rows[k].Rank = rows[k-1].Rank
		}
	}
	if len(rows) == 0 {
		return rows
	}
	rows[0].Best, rows[0].VsBest = true, "best"
	for k := 1; k < len(rows); k++ {
		pw, ok := pairOf(r, rows[0].Policy, rows[k].Policy)
		switch {
		case !ok:
			rows[k].VsBest = "—"
		case pw.Significant:
			rows[k].VsBest = fmt.Sprintf("worse, %s %s", pIs(pw.HolmP), stars(true, pw.HolmP))
		default:
			rows[k].VsBest = fmt.Sprintf("not distinguishable, %s", pIs(pw.HolmP))
		}
	}
	return rows
}

// pairOf returns the comparison of a with b, oriented so that MeanDiff is
// mean(a) - mean(b).
func pairOf(r compare.Report, a, b string) (compare.Pairwise, bool) {
	for _, pw := range r.PairwiseComparisons {
		switch {
		case pw.A == a && pw.B == b:
			return pw, true
		case pw.A == b && pw.B == a:
			pw.A, pw.B = a, b
			pw.MeanDiff, pw.CohensD = -pw.MeanDiff, -pw.CohensD
			pw.ProbImprovement = 1 - pw.ProbImprovement
			return pw, true
		}
	}
	return compare.Pairwise{}, false
}

var rankingTmpl = newTemplate("ranking", `<p>Metric <code>{{.R.Metric}}</code>, {{.Episodes}} episodes per policy and mission
({{.R.EpisodesPerMission}} per mission on {{len .R.Missions}} mission{{if ne (len .R.Missions) 1}}s{{end}}),
seed {{.R.Seed}}{{if .R.Mode}}, mode {{.R.Mode}}{{end}}{{if .R.MaxSteps}}, at most {{.R.MaxSteps}} steps{{end}}.
Intervals are 95% bootstrap confidence intervals; pairs are compared with Welch's t-test, Holm-adjusted over all pairs at α = {{.R.Alpha}}.</p>
{{- if .R.Warnings}}
<div class="warnings" role="note"><strong>Warnings</strong>
<ul>{{range .R.Warnings}}<li>{{.}}</li>{{end}}</ul>
</div>
{{- end}}
<div class="scroll">
<table class="ranked" id="ranked-table">
<thead><tr><th class="num">Rank</th><th>Policy</th><th class="num">Mean</th><th class="num">95% CI</th><th class="num">IQM</th><th class="num">Median</th><th class="num">Std</th><th class="num">Min</th><th class="num">Max</th><th class="num">Episodes</th><th>Compared with the best</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr class="policy-row{{if .Best}} best{{end}}"><td class="num">{{.Rank}}</td><td><span class="swatch" style="background:{{css .Color}}"></span>{{.Policy}}</td><td class="num">{{num .S.Mean}}</td><td class="num">{{ci .S.CILow .S.CIHigh}}</td><td class="num">{{num .S.IQM}}</td><td class="num">{{num .S.Median}}</td><td class="num">{{num .S.Std}}</td><td class="num">{{num .S.Min}}</td><td class="num">{{num .S.Max}}</td><td class="num">{{.S.N}}</td><td>{{.VsBest}}</td></tr>
{{- end}}
</tbody>
</table>
</div>
{{- if .Chart}}
<figure class="chart-box">{{.Chart}}
<figcaption>Mean {{.R.Metric}} per policy over all missions, with 95% confidence intervals.</figcaption></figure>
{{- end}}
`)

var perMissionTmpl = newTemplate("per-mission", `{{- if .Chart}}
<figure class="chart-box">{{.Chart}}
<figcaption><ul class="legend">{{range $i, $p := .R.Policies}}<li><span class="swatch" style="background:{{css (color $i)}}"></span>{{$p}}</li>{{end}}</ul>
Mean {{.R.Metric}} per mission and policy (policies top to bottom in this order); whiskers are 95% confidence intervals.</figcaption></figure>
{{- end}}
<div class="scroll">
<table class="per-mission">
<thead><tr><th>Mission</th>{{range $i, $p := .R.Policies}}<th class="num"><span class="swatch" style="background:{{css (color $i)}}"></span>{{$p}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr><th scope="row">{{.Mission}}</th>{{range .Cells}}<td class="num">{{if .Best}}<strong>{{num .S.Mean}}</strong>{{else}}{{num .S.Mean}}{{end}} <span class="muted">{{ci .S.CILow .S.CIHigh}}</span></td>{{end}}</tr>
{{- end}}
</tbody>
</table>
</div>
<p class="note">Bold: the highest mean on the mission.</p>
`)

type missionRow struct {
	Mission string
	Cells   []missionCell
}

type missionCell struct {
	S    stats.Summary
	Best bool
}

var pairwiseTmpl = newTemplate("pairwise", `<p>Each cell is the mean difference <em>row − column</em> in {{.R.Metric}}.
Green: the row policy is significantly better, red: significantly worse (Holm-adjusted Welch p: * ≤ α = {{.R.Alpha}}, ** &lt; 0.01, *** &lt; 0.001).</p>
<div class="scroll">
<table class="pairwise" id="pairwise-matrix">
<thead><tr><th>row − column</th>{{range $i, $p := .R.Policies}}<th class="num"><span class="swatch" style="background:{{css (color $i)}}"></span>{{$p}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Matrix}}
<tr><th scope="row">{{.Policy}}</th>{{range .Cells}}{{if .Diag}}<td class="cell diag">—</td>{{else}}<td class="cell {{.Class}}" title="{{.Title}}">{{signed .P.MeanDiff}}{{if .Stars}} <sup>{{.Stars}}</sup>{{end}}</td>{{end}}{{end}}</tr>
{{- end}}
</tbody>
</table>
</div>
{{- if .R.PairwiseComparisons}}
<h3>Every pair</h3>
<div class="scroll">
<table class="pairs">
<thead><tr><th>A</th><th>B</th><th class="num">Mean A − B</th><th class="num">Welch p</th><th class="num">Mann-Whitney p</th><th class="num">Holm p</th><th>Significant</th><th class="num">Cohen's d</th><th class="num">P(A &gt; B)</th></tr></thead>
<tbody>
{{- range .R.PairwiseComparisons}}
<tr><td>{{.A}}</td><td>{{.B}}</td><td class="num">{{signed .MeanDiff}}</td><td class="num">{{pval .WelchP}}</td><td class="num">{{pval .MannWhitneyP}}</td><td class="num">{{pval .HolmP}}</td><td>{{if .Significant}}<span class="ok">yes</span>{{else}}no{{end}}</td><td class="num">{{num .CohensD}}</td><td class="num">{{num .ProbImprovement}}</td></tr>
{{- end}}
</tbody>
</table>
</div>
{{- end}}
`)

type matrixRow struct {
	Policy string
	Cells  []matrixCell
}

type matrixCell struct {
	Diag         bool
	P            compare.Pairwise
	Class, Stars string
	Title        string
}

var metricsTmpl = newTemplate("metrics", `<p>Mean over episodes of each statistic the game records; <code>agent.</code> statistics are first averaged over the agents of an episode.</p>
{{- range .Groups}}
<h3 id="metrics-{{.ID}}">{{.Title}}</h3>
<div class="scroll">
<table class="metrics metrics-{{.ID}}">
<thead><tr><th>Metric</th>{{if $.Multi}}<th>Mission</th>{{end}}{{range $i, $p := $.R.Policies}}<th class="num"><span class="swatch" style="background:{{css (color $i)}}"></span>{{$p}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr>{{if .Span}}<th scope="row"{{if gt .Span 1}} rowspan="{{.Span}}"{{end}}><code>{{.Metric}}</code></th>{{end}}{{if $.Multi}}<td>{{.Mission}}</td>{{end}}{{range .Values}}<td class="num">{{num .}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
</div>
{{- end}}
{{- if .Zero}}
<p class="note zero-metrics">Zero for every policy and mission, not shown: {{range $i, $n := .Zero}}{{if $i}}, {{end}}<code>{{$n}}</code>{{end}}.</p>
{{- end}}
`)

type metricGroup struct {
	ID, Title string
	Rows      []metricRow
}

type metricRow struct {
	Metric  string
	Span    int // rows the metric cell spans; 0 for continuation rows
	Mission string
	Values  []float64
}

// metricGroups are the headings of the detailed metrics, in order.
var metricGroups = []struct{ ID, Title string }{
	{"outcome", "Outcome"}, {"resources", "Resources"}, {"energy", "Energy"}, {"actions", "Actions"},
	{"inventory", "Inventory"}, {"status", "Status"}, {"other", "Other"},
}

var resourceNames = []string{"carbon", "oxygen", "germanium", "silicon", "heart", "decoder", "modulator", "resonator", "scrambler", "chest"}

// metricGroupOf files a statistic under one of metricGroups by its first
// word after "agent." or "game.": "agent.carbon.gained" -> resources,
// "game.chest.heart.deposited" -> resources, "reward" -> outcome.
func metricGroupOf(name string) string {
	rest, ok := strings.CutPrefix(name, "agent.")
	if !ok {
		rest = strings.TrimPrefix(name, "game.")
	}
	first, _, _ := strings.Cut(rest, ".")
	switch {
	case name == rest && (first == "reward" || first == "hearts" || first == "performance_score" || first == "steps"):
		return "outcome"
	case first == "action":
		return "actions"
	case first == "energy":
		return "energy"
	case first == "inventory":
		return "inventory"
	case first == "status":
		return "status"
	case slices.Contains(resourceNames, first):
		return "resources"
	}
	return "other"
}

func comparisonSections(v any) ([]Section, error) {
	r, err := As[compare.Report](v)
	if err != nil {
		return nil, err
	}
	if len(r.Policies) == 0 {
		return nil, fmt.Errorf("the comparison has no policies")
	}
	parts := []struct {
		id, title string
		skip      bool
		body      func(compare.Report) (template.HTML, error)
	}{
		{"ranking", "Ranking", false, rankingSection},
		{"per-mission", "Per-mission results", false, perMissionSection},
		{"pairwise", "Pairwise comparisons", len(r.Policies) < 2, pairwiseSection},
		{"detailed-metrics", "Detailed metrics", false, detailedSection},
	}
	var secs []Section
	for _, p := range parts {
		if p.skip {
			continue
		}
		body, err := p.body(r)
		if err != nil {
			return nil, err
		}
		if body != "" {
			secs = append(secs, Section{ID: p.id, Title: p.title, Body: body})
		}
	}
	return secs, nil
}

// rankingSection ranks the policies, with the overall chart.
func rankingSection(r compare.Report) (template.HTML, error) {
	rows := ranking(r)
	episodes := 0
	if len(r.Policies) > 0 {
		episodes = r.SummaryStatistics[r.Policies[0]].N
	}
	// One series per policy, each with a point on its own row only, so
	// that every policy keeps its colour.
	overall := ciRows{Overlay: true}
	for _, row := range rows {
		overall.Rows = append(overall.Rows, row.Policy)
	}
	for k, row := range rows {
		m, lo, hi := nanRow(len(rows)), nanRow(len(rows)), nanRow(len(rows))
		m[k], lo[k], hi[k] = row.S.Mean, row.S.CILow, row.S.CIHigh
		overall.Series = append(overall.Series, row.Policy)
		overall.Colors = append(overall.Colors, row.Color)
		overall.Mean, overall.Low, overall.High = append(overall.Mean, m), append(overall.Low, lo), append(overall.High, hi)
	}
	overallChart, err := ciChart(overall, "Mean "+r.Metric+" over all missions", r.Metric)
	if err != nil {
		return "", err
	}
	return execute(rankingTmpl, map[string]any{"R": r, "Rows": rows, "Episodes": episodes, "Chart": overallChart})
}

// perMissionSection charts and tabulates each policy on each mission.
func perMissionSection(r compare.Report) (template.HTML, error) {
	pm := ciRows{Rows: r.Missions}
	var mrows []missionRow
	for i, p := range r.Policies {
		pm.Series = append(pm.Series, p)
		pm.Colors = append(pm.Colors, policyColor(i))
		var m, lo, hi []float64
		for _, mis := range r.Missions {
			s, ok := r.PerMission[p][mis]
			if !ok {
				s = stats.Summary{Mean: math.NaN(), CILow: math.NaN(), CIHigh: math.NaN()}
			}
			m, lo, hi = append(m, s.Mean), append(lo, s.CILow), append(hi, s.CIHigh)
		}
		pm.Mean, pm.Low, pm.High = append(pm.Mean, m), append(pm.Low, lo), append(pm.High, hi)
	}
	for mi, mis := range r.Missions {
		row := missionRow{Mission: mis}
		best := math.Inf(-1)
		for pi := range r.Policies {
			if x := pm.Mean[pi][mi]; finite(x) && x > best {
				best = x
			}
		}
		for pi, p := range r.Policies {
			s, ok := r.PerMission[p][mis]
			if !ok {
				s = stats.Summary{Mean: math.NaN(), CILow: math.NaN(), CIHigh: math.NaN()}
			}
			row.Cells = append(row.Cells, missionCell{S: s, Best: len(r.Policies) > 1 && pm.Mean[pi][mi] == best})
		}
		mrows = append(mrows, row)
	}
	pmChart, err := ciChart(pm, "Mean "+r.Metric+" per mission", r.Metric)
	if err != nil {
		return "", err
	}
	return execute(perMissionTmpl, map[string]any{"R": r, "Rows": mrows, "Chart": pmChart})
}

// pairwiseSection is the matrix of every pair's tests.
func pairwiseSection(r compare.Report) (template.HTML, error) {
	var matrix []matrixRow
	for _, a := range r.Policies {
		mr := matrixRow{Policy: a}
		for _, b := range r.Policies {
			if a == b {
				mr.Cells = append(mr.Cells, matrixCell{Diag: true})
				continue
			}
			pw, ok := pairOf(r, a, b)
			if !ok {
				pw = compare.Pairwise{A: a, B: b, MeanDiff: math.NaN(), WelchP: math.NaN(), MannWhitneyP: math.NaN(), HolmP: math.NaN(), CohensD: math.NaN(), ProbImprovement: math.NaN()}
			}
			c := matrixCell{P: pw, Class: "ns", Stars: stars(pw.Significant, pw.HolmP)}
			if pw.Significant {
				c.Class = "worse"
				if pw.MeanDiff > 0 {
					c.Class = "better"
				}
			}
			c.Title = fmt.Sprintf("%s − %s = %s; Welch p = %s, Mann-Whitney p = %s, Holm p = %s; Cohen's d = %s; P(%s > %s) = %s",
				a, b, signed(pw.MeanDiff), pval(pw.WelchP), pval(pw.MannWhitneyP), pval(pw.HolmP), num(pw.CohensD), a, b, num(pw.ProbImprovement))
			mr.Cells = append(mr.Cells, c)
		}
		matrix = append(matrix, mr)
	}
	return execute(pairwiseTmpl, map[string]any{"R": r, "Matrix": matrix})
}

// detailedSection lists the detailed metrics, grouped ("" when there are
// none).
func detailedSection(r compare.Report) (template.HTML, error) {
	groups, zero := detailedGroups(r)
	if len(groups)+len(zero) == 0 {
		return "", nil
	}
	return execute(metricsTmpl, map[string]any{"R": r, "Groups": groups, "Zero": zero, "Multi": len(r.Missions) > 1})
}

// detailedGroups files the detailed metrics under metricGroups; a metric
// that is zero (or absent) for every policy and mission is left out and
// named in zero instead.
func detailedGroups(r compare.Report) (groups []metricGroup, zero []string) {
	names := map[string]bool{}
	for _, byMission := range r.DetailedMetrics {
		for _, ms := range byMission {
			for n := range ms {
				names[n] = true
			}
		}
	}
	var sorted []string
	for _, n := range sortedKeys(names) {
		nonzero := false
		for _, p := range r.Policies {
			for _, mis := range r.Missions {
				if x, ok := r.DetailedMetrics[p][mis][n]; ok && x != 0 && !math.IsNaN(x) {
					nonzero = true
				}
			}
		}
		if nonzero {
			sorted = append(sorted, n)
		} else {
			zero = append(zero, n)
		}
	}
	for _, g := range metricGroups {
		grp := metricGroup{ID: g.ID, Title: g.Title}
		for _, n := range sorted {
			if metricGroupOf(n) != g.ID {
				continue
			}
			for mi, mis := range r.Missions {
				row := metricRow{Metric: n, Mission: mis}
				if mi == 0 {
					row.Span = len(r.Missions)
				}
				for _, p := range r.Policies {
					x, ok := r.DetailedMetrics[p][mis][n]
					if !ok {
						x = math.NaN()
					}
					row.Values = append(row.Values, x)
				}
				grp.Rows = append(grp.Rows, row)
			}
		}
		if len(grp.Rows) > 0 {
			groups = append(groups, grp)
		}
	}
	return groups, zero
}

// comparisonMarkdown is a leaderboard for a README or a pull request.
func comparisonMarkdown(v any) (string, error) {
	r, err := As[compare.Report](v)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**Leaderboard** — metric `%s`, %s × %d episodes, seed %d, α = %g\n\n",
		r.Metric, plural(len(r.Missions), "mission", "missions"), r.EpisodesPerMission, r.Seed, r.Alpha)
	var rows [][]string
	for _, row := range ranking(r) {
		name := row.Policy
		if row.Best {
			name = "**" + name + "**"
		}
		rows = append(rows, []string{fmt.Sprint(row.Rank), name, num(row.S.Mean), ci(row.S.CILow, row.S.CIHigh),
			num(row.S.IQM), fmt.Sprint(row.S.N), row.VsBest})
	}
	b.WriteString(mdTable([]string{"Rank", "Policy", "Mean", "95% CI", "IQM", "Episodes", "vs. best (Holm-adjusted)"}, "rlrrrrl", rows))
	if len(r.Missions) > 1 {
		b.WriteString("\n")
		header := append([]string{"Mission"}, r.Policies...)
		var mrows [][]string
		for _, mis := range r.Missions {
			row := []string{mis}
			for _, p := range r.Policies {
				row = append(row, num(r.PerMission[p][mis].Mean))
			}
			mrows = append(mrows, row)
		}
		b.WriteString(mdTable(header, "l"+strings.Repeat("r", len(r.Policies)), mrows))
	}
	if len(r.Warnings) > 0 {
		b.WriteString("\nWarnings:\n\n")
		for _, w := range r.Warnings {
			fmt.Fprintf(&b, "- %s\n", strings.ReplaceAll(w, "\n", " "))
		}
	}
	return b.String(), nil
}
