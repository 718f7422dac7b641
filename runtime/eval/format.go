package eval

import (
	"fmt"
	"io"
	"math"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// WriteText writes the evaluation's summary as a table, one row per
// policy and mission.
func (ev *Evaluation) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "Evaluation of %s on %s, %s each, seed %d\n\n",
		plural(len(ev.Policies), "policy", "policies"), plural(len(ev.Missions), "mission", "missions"),
		plural(ev.Episodes, "episode", "episodes"), ev.Seed)
	header := []any{"policy", "mission", "episodes", "reward", "95% CI", "hearts deposited", "hearts made", "success", "failed actions", "steps"}
	align := make([]tw.Align, len(header))
	for i := range align {
		align[i] = tw.AlignRight
	}
	align[0], align[1] = tw.AlignLeft, tw.AlignLeft
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
	t.Header(header...)
	for _, r := range ev.Summary {
		t.Append([]string{r.Policy, r.Mission, fmt.Sprint(r.Episodes), num(r.Reward.Mean),
			"[" + num(r.Reward.CILow) + ", " + num(r.Reward.CIHigh) + "]", num(r.HeartsDeposited), num(r.HeartsMade),
			fmt.Sprintf("%.0f%%", 100*r.SuccessRate), fmt.Sprintf("%.1f%%", 100*r.ActionFailureRate), num(r.Steps)})
	}
	return t.Render()
}

func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf("%.4g", v)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
