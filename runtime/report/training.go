package report

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/dafscript/dafscript/runtime/trainresult"
)

func trainingKind() *kind {
	return typedKind("training", trainingSections, trainingMarkdown, "Training run",
		func(r trainresult.Result) string {
			return fmt.Sprintf("Training run: %s on %s", r.Policy, strings.Join(r.Missions, ", "))
		},
		"policy", "training_steps", "curve", "final_checkpoint")
}

var trainingTmpl = newTemplate("training", `<table class="facts training-facts">
<tbody>
<tr><th scope="row">Policy</th><td><code>{{.R.Policy}}</code></td></tr>
<tr><th scope="row">Missions</th><td>{{range $i, $m := .R.Missions}}{{if $i}}, {{end}}<code>{{$m}}</code>{{end}}</td></tr>
<tr><th scope="row">Agent steps</th><td>{{.R.TrainingSteps}}</td></tr>
<tr><th scope="row">Updates</th><td>{{.R.Updates}}</td></tr>
<tr><th scope="row">Episodes</th><td>{{.R.Episodes}}</td></tr>
<tr><th scope="row">Final reward</th><td>{{num .R.FinalReward}}</td></tr>
<tr><th scope="row">Wall time</th><td>{{num .R.WallTimeSeconds}} s ({{num .R.StepsPerSecond}} steps/s)</td></tr>
<tr><th scope="row">Seed</th><td>{{.R.Seed}}</td></tr>
{{- if .R.Device}}
<tr><th scope="row">Device</th><td>{{.R.Device}}</td></tr>
{{- end}}
<tr><th scope="row">Final checkpoint</th><td><code>{{.R.FinalCheckpoint}}</code></td></tr>
{{- if .R.InitFrom}}
<tr><th scope="row">Weights started from</th><td><code>{{.R.InitFrom}}</code></td></tr>
{{- end}}
{{- if .R.ResumedFrom}}
<tr><th scope="row">Resumed from</th><td><code>{{.R.ResumedFrom}}</code></td></tr>
{{- end}}
</tbody>
</table>
<h3>Learning curves</h3>
{{- if .Charts}}
<div class="charts">
{{- range .Charts}}
<figure class="chart-box">{{.SVG}}{{if .Legend}}<figcaption><ul class="legend">{{range .Legend}}<li><span class="swatch" style="background:{{css .Color}}"></span>{{.Name}}</li>{{end}}</ul></figcaption>{{end}}</figure>
{{- end}}
</div>
<p class="note">One point per PPO update; episode reward and hearts average the episodes that ended since the previous update (updates in which none ended are left out).</p>
{{- else}}
<p class="muted">No update completed, so there is no curve to draw.</p>
{{- end}}
{{- if .Hyper}}
<h3>Hyperparameters</h3>
<table class="hyperparameters">
<thead><tr><th>Name</th><th class="num">Value</th></tr></thead>
<tbody>
{{- range .Hyper}}
<tr><td><code>{{.Name}}</code></td><td class="num">{{num .Value}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- if .R.Checkpoints}}
<h3>Checkpoints</h3>
<ul class="checkpoints">{{range .R.Checkpoints}}<li><code>{{.}}</code></li>{{end}}</ul>
{{- end}}
`)

func trainingSections(r trainresult.Result) ([]Section, error) {
	n := len(r.Curve)
	step := make([]float64, n)
	col := func(f func(trainresult.CurvePoint) float64) []float64 {
		out := make([]float64, n)
		for i, p := range r.Curve {
			out[i] = f(p)
		}
		return out
	}
	for i, p := range r.Curve {
		step[i] = float64(p.Step)
	}
	// Reward and hearts only where episodes ended: 0 there means "none".
	var epStep, epReward, epHearts []float64
	for _, p := range r.Curve {
		if p.Episodes > 0 {
			epStep = append(epStep, float64(p.Step))
			epReward = append(epReward, p.EpisodeReward)
			epHearts = append(epHearts, p.Hearts)
		}
	}
	specs := []struct {
		title, y string
		ss       []series
	}{
		{"Episode reward", "reward", []series{{"reward", palette[0], epStep, epReward}}},
		{"Hearts per episode", "hearts", []series{{"hearts", palette[5], epStep, epHearts}}},
		{"Losses", "loss", []series{
			{"policy loss", palette[0], step, col(func(p trainresult.CurvePoint) float64 { return p.PolicyLoss })},
			{"value loss", palette[1], step, col(func(p trainresult.CurvePoint) float64 { return p.ValueLoss })}}},
		{"Entropy", "nats", []series{{"entropy", palette[2], step, col(func(p trainresult.CurvePoint) float64 { return p.Entropy })}}},
		{"Approximate KL and clip fraction", "", []series{
			{"approx KL", palette[3], step, col(func(p trainresult.CurvePoint) float64 { return p.ApproxKL })},
			{"clip fraction", palette[4], step, col(func(p trainresult.CurvePoint) float64 { return p.ClipFraction })}}},
		{"Explained variance", "", []series{{"explained variance", palette[6], step, col(func(p trainresult.CurvePoint) float64 { return p.ExplainedVariance })}}},
		{"Throughput", "agent steps/s", []series{{"steps/s", palette[8], step, col(func(p trainresult.CurvePoint) float64 { return p.SPS })}}},
	}
	type chart struct {
		SVG    template.HTML
		Legend []series
	}
	var charts []chart
	if n > 0 {
		for _, s := range specs {
			c, err := lineChart(s.title, "agent steps", s.y, s.ss)
			if err != nil {
				return nil, err
			}
			if c == "" {
				continue
			}
			ch := chart{SVG: c}
			if len(s.ss) > 1 {
				ch.Legend = s.ss
			}
			charts = append(charts, ch)
		}
	}
	type hp struct {
		Name  string
		Value float64
	}
	var hyper []hp
	for _, k := range sortedKeys(r.Hyperparameters) {
		hyper = append(hyper, hp{k, r.Hyperparameters[k]})
	}
	body, err := execute(trainingTmpl, map[string]any{"R": r, "Charts": charts, "Hyper": hyper})
	if err != nil {
		return nil, err
	}
	return []Section{{ID: "training-" + r.Policy, Title: "Training " + r.Policy, Body: body}}, nil
}

func trainingMarkdown(r trainresult.Result) (string, error) {
	rows := [][]string{
		{"Policy", r.Policy},
		{"Missions", strings.Join(r.Missions, ", ")},
		{"Agent steps", fmt.Sprint(r.TrainingSteps)},
		{"Updates", fmt.Sprint(r.Updates)},
		{"Final reward", num(r.FinalReward)},
		{"Steps per second", num(r.StepsPerSecond)},
		{"Seed", fmt.Sprint(r.Seed)},
		{"Final checkpoint", "`" + r.FinalCheckpoint + "`"},
	}
	return "**Training run**\n\n" + mdTable([]string{"Property", "Value"}, "ll", rows), nil
}
