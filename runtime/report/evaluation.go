package report

import (
	"fmt"
	"math"

	"github.com/dafscript/dafscript/runtime/analysis"
	"github.com/dafscript/dafscript/runtime/eval"
)

func evaluationKind() *kind {
	return newKind("evaluation", evaluationSections,
		ForType[eval.Evaluation](),
		WithMarkdown(evaluationMarkdown),
		WithTitle(func(v any) string {
			e, err := As[eval.Evaluation](v)
			if err != nil {
				return "Evaluation"
			}
			return fmt.Sprintf("Evaluation: %s on %s", plural(len(e.Policies), "policy", "policies"), plural(len(e.Missions), "mission", "missions"))
		}),
		FromJSON[eval.Evaluation]("policies", "missions", "episodes", "summary", "results"))
}

func performanceKind() *kind {
	return newKind("performance", performanceSections,
		ForType[analysis.Performance](),
		WithMarkdown(performanceMarkdown),
		WithTitle(func(v any) string {
			p, err := As[analysis.Performance](v)
			if err != nil || p.Mission == "" {
				return "Policy performance"
			}
			return "Policy performance on " + p.Mission
		}),
		FromJSON[analysis.Performance]("mission", "policies"))
}

var evaluationTmpl = newTemplate("evaluation", `<p>{{.E.Episodes}} episodes per policy and mission, seed {{.E.Seed}}{{if .E.MaxSteps}}, at most {{.E.MaxSteps}} steps{{end}}.
Reward is the mean per-agent episode reward with its 95% bootstrap confidence interval; the other columns are means over episodes.</p>
{{- if .Chart}}
<figure class="chart-box">{{.Chart}}
<figcaption><ul class="legend">{{range $i, $p := .E.Policies}}<li><span class="swatch" style="background:{{css (color $i)}}"></span>{{$p}}</li>{{end}}</ul>
Mean reward per mission and policy; whiskers are 95% confidence intervals.</figcaption></figure>
{{- end}}
<div class="scroll">
<table class="evaluation" id="evaluation-table">
<thead><tr><th>Policy</th><th>Mission</th><th class="num">Episodes</th><th class="num">Reward</th><th class="num">95% CI</th><th class="num">Hearts made</th><th class="num">Hearts deposited</th><th class="num">Success rate</th><th class="num">Steps</th><th class="num">Failed actions</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr class="policy-row"><td><span class="swatch" style="background:{{css .Color}}"></span>{{.R.Policy}}</td><td>{{.R.Mission}}</td><td class="num">{{.R.Episodes}}</td><td class="num">{{num .R.Reward.Mean}}</td><td class="num">{{ci .R.Reward.CILow .R.Reward.CIHigh}}</td><td class="num">{{num .R.HeartsMade}}</td><td class="num">{{num .R.HeartsDeposited}}</td><td class="num">{{pct .R.SuccessRate}}</td><td class="num">{{num .R.Steps}}</td><td class="num">{{pct .R.ActionFailureRate}}</td></tr>
{{- end}}
</tbody>
</table>
</div>
{{- if .Resources}}
<h3>Resources gained per episode</h3>
<div class="scroll">
<table class="resources">
<thead><tr><th>Policy</th><th>Mission</th>{{range .Resources}}<th class="num">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr><td>{{.R.Policy}}</td><td>{{.R.Mission}}</td>{{range .Gained}}<td class="num">{{num .}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
</div>
{{- end}}
`)

type evalRow struct {
	R      eval.Row
	Color  string
	Gained []float64
}

func evaluationSections(v any) ([]Section, error) {
	e, err := As[eval.Evaluation](v)
	if err != nil {
		return nil, err
	}
	if len(e.Policies) == 0 {
		return nil, fmt.Errorf("the evaluation has no policies")
	}
	colorOf := map[string]string{}
	for i, p := range e.Policies {
		colorOf[p] = policyColor(i)
	}
	resSet := map[string]bool{}
	for _, r := range e.Summary {
		for k := range r.ResourcesGained {
			resSet[k] = true
		}
	}
	resources := sortedKeys(resSet)
	var rows []evalRow
	chart := ciRows{Rows: e.Missions}
	index := map[[2]string]eval.Row{}
	for _, r := range e.Summary {
		row := evalRow{R: r, Color: colorOf[r.Policy]}
		for _, k := range resources {
			row.Gained = append(row.Gained, r.ResourcesGained[k])
		}
		rows = append(rows, row)
		index[[2]string{r.Policy, r.Mission}] = r
	}
	for i, p := range e.Policies {
		chart.Series = append(chart.Series, p)
		chart.Colors = append(chart.Colors, policyColor(i))
		m, lo, hi := nanRow(len(e.Missions)), nanRow(len(e.Missions)), nanRow(len(e.Missions))
		for j, mis := range e.Missions {
			if r, ok := index[[2]string{p, mis}]; ok {
				m[j], lo[j], hi[j] = r.Reward.Mean, r.Reward.CILow, r.Reward.CIHigh
			}
		}
		chart.Mean, chart.Low, chart.High = append(chart.Mean, m), append(chart.Low, lo), append(chart.High, hi)
	}
	svg, err := ciChart(chart, "Mean reward per mission", "reward")
	if err != nil {
		return nil, err
	}
	body, err := execute(evaluationTmpl, map[string]any{"E": e, "Rows": rows, "Chart": svg, "Resources": resources})
	if err != nil {
		return nil, err
	}
	return []Section{{ID: "evaluation", Title: "Evaluation", Body: body}}, nil
}

func evaluationMarkdown(v any) (string, error) {
	e, err := As[eval.Evaluation](v)
	if err != nil {
		return "", err
	}
	var rows [][]string
	for _, r := range e.Summary {
		rows = append(rows, []string{r.Policy, r.Mission, num(r.Reward.Mean), ci(r.Reward.CILow, r.Reward.CIHigh),
			num(r.HeartsDeposited), pct(r.SuccessRate), fmt.Sprint(r.Episodes)})
	}
	return fmt.Sprintf("**Evaluation** — %d episodes per policy and mission, seed %d\n\n", e.Episodes, e.Seed) +
		mdTable([]string{"Policy", "Mission", "Reward", "95% CI", "Hearts deposited", "Success", "Episodes"}, "llrrrrr", rows), nil
}

var performanceTmpl = newTemplate("performance", `<p>{{if .P.Mission}}Mission <code>{{.P.Mission}}</code>{{else}}All missions pooled{{end}}; means per episode.</p>
<div class="scroll">
<table class="performance" id="performance-table">
<thead><tr><th>Policy</th><th class="num">Episodes</th><th class="num">Success rate</th><th class="num">Hearts</th><th class="num">Reward</th><th class="num">Steps</th><th class="num">Failed actions</th><th class="num">Steps without motion</th></tr></thead>
<tbody>
{{- range $i, $p := .P.Policies}}
<tr class="policy-row"><td><span class="swatch" style="background:{{css (color $i)}}"></span>{{$p.Policy}}</td><td class="num">{{$p.Episodes}}</td><td class="num">{{pct $p.SuccessRate}}</td><td class="num">{{num $p.HeartsPerEpisode}}</td><td class="num">{{num $p.RewardPerEpisode}}</td><td class="num">{{num $p.StepsPerEpisode}}</td><td class="num">{{pct $p.ActionFailureRate}}</td><td class="num">{{num $p.StepsWithoutMotion}}</td></tr>
{{- end}}
</tbody>
</table>
</div>
{{- if .Flows}}
<h3>Resource flow</h3>
<div class="scroll">
<table class="resource-flow">
<thead><tr><th>Flow</th>{{range .P.Policies}}<th class="num">{{.Policy}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Flows}}
<tr><td><code>{{.Name}}</code></td>{{range .Values}}<td class="num">{{num .}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
</div>
{{- end}}
`)

type flowRow struct {
	Name   string
	Values []float64
}

func performanceSections(v any) ([]Section, error) {
	p, err := As[analysis.Performance](v)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, pp := range p.Policies {
		for k := range pp.ResourceFlow {
			names[k] = true
		}
	}
	var flows []flowRow
	for _, n := range sortedKeys(names) {
		row := flowRow{Name: n}
		for _, pp := range p.Policies {
			x, ok := pp.ResourceFlow[n]
			if !ok {
				x = math.NaN()
			}
			row.Values = append(row.Values, x)
		}
		flows = append(flows, row)
	}
	body, err := execute(performanceTmpl, map[string]any{"P": p, "Flows": flows})
	if err != nil {
		return nil, err
	}
	id := "performance"
	if p.Mission != "" {
		id += "-" + p.Mission
	}
	title := "Policy performance"
	if p.Mission != "" {
		title += " on " + p.Mission
	}
	return []Section{{ID: id, Title: title, Body: body}}, nil
}

func performanceMarkdown(v any) (string, error) {
	p, err := As[analysis.Performance](v)
	if err != nil {
		return "", err
	}
	var rows [][]string
	for _, pp := range p.Policies {
		rows = append(rows, []string{pp.Policy, pct(pp.SuccessRate), num(pp.HeartsPerEpisode), num(pp.RewardPerEpisode), fmt.Sprint(pp.Episodes)})
	}
	where := "all missions"
	if p.Mission != "" {
		where = "`" + p.Mission + "`"
	}
	return fmt.Sprintf("**Policy performance** on %s\n\n", where) +
		mdTable([]string{"Policy", "Success", "Hearts", "Reward", "Episodes"}, "lrrrr", rows), nil
}
