package report

import (
	"fmt"

	"github.com/dafscript/dafscript/runtime/benchmark"
)

func benchmarkKind() *kind {
	return newKind("benchmark", benchmarkSections,
		ForType[benchmark.Result](),
		WithMarkdown(benchmarkMarkdown),
		WithTitle(func(v any) string {
			b, err := As[benchmark.Result](v)
			if err != nil {
				return "Benchmark"
			}
			return fmt.Sprintf("Benchmark %s: %s on %s", b.Suite, plural(len(b.Policies), "policy", "policies"), plural(len(b.Missions), "mission", "missions"))
		}),
		FromJSON[benchmark.Result]("suite", "leaderboard", "evaluation"))
}

var leaderboardTmpl = newTemplate("leaderboard", `<p>Suite <b>{{.B.Suite}}</b>: {{len .B.Missions}} missions, {{.B.Episodes}} episodes per policy and mission, seed {{.B.Seed}}.
Score is the mean per-agent reward over the suite with its 95% bootstrap interval (stratified by mission).</p>
<div class="scroll">
<table class="leaderboard" id="leaderboard">
<thead><tr><th class="num">Rank</th><th>Policy</th><th class="num">Score</th><th class="num">95% CI</th><th class="num">Success rate</th><th class="num">Hearts deposited</th><th class="num">Missions won</th></tr></thead>
<tbody>
{{- range .B.Leaderboard}}
<tr><td class="num">{{.Rank}}</td><td>{{.Policy}}</td><td class="num">{{num .Score.Mean}}</td><td class="num">{{ci .Score.CILow .Score.CIHigh}}</td><td class="num">{{pct .SuccessRate}}</td><td class="num">{{num .HeartsDeposited}}</td><td class="num">{{.MissionsWon}}/{{len $.B.Missions}}</td></tr>
{{- end}}
</tbody>
</table>
</div>
`)

func benchmarkSections(v any) ([]Section, error) {
	b, err := As[benchmark.Result](v)
	if err != nil {
		return nil, err
	}
	if b.Evaluation == nil {
		return nil, fmt.Errorf("the benchmark has no evaluation")
	}
	body, err := execute(leaderboardTmpl, map[string]any{"B": b})
	if err != nil {
		return nil, err
	}
	rest, err := evaluationSections(*b.Evaluation)
	if err != nil {
		return nil, err
	}
	return append([]Section{{ID: "leaderboard", Title: "Leaderboard", Body: body}}, rest...), nil
}

func benchmarkMarkdown(v any) (string, error) {
	b, err := As[benchmark.Result](v)
	if err != nil {
		return "", err
	}
	var rows [][]string
	for _, r := range b.Leaderboard {
		rows = append(rows, []string{fmt.Sprint(r.Rank), r.Policy, num(r.Score.Mean), ci(r.Score.CILow, r.Score.CIHigh),
			pct(r.SuccessRate), num(r.HeartsDeposited), fmt.Sprintf("%d/%d", r.MissionsWon, len(b.Missions))})
	}
	return fmt.Sprintf("**Leaderboard** — suite %s, %d missions, %d episodes per policy and mission, seed %d\n\n", b.Suite, len(b.Missions), b.Episodes, b.Seed) +
		mdTable([]string{"Rank", "Policy", "Score", "95% CI", "Success", "Hearts deposited", "Missions won"}, "rlrrrrr", rows), nil
}
