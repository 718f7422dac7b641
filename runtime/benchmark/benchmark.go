package benchmark

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/stats"
	"github.com/dafscript/dafscript/sim/mission"
)

// Options configure a benchmark: the policies, the suite (its missions
// are resolved by the caller into Missions) and how many episodes each
// policy plays on each mission.
type Options struct {
	Policies []eval.Entry
	Suite    string
	Missions []*mission.Mission
	Episodes int
	Seed     uint64
	MaxSteps int
}

// Check is the only validation of a benchmark.
func (o Options) Check() error {
	s, err := Lookup(o.Suite)
	if err != nil {
		return fmt.Errorf("suite: %w", err)
	}
	if len(o.Missions) != len(s.Missions) {
		return fmt.Errorf("suite %s: %d missions resolved, want %d", o.Suite, len(o.Missions), len(s.Missions))
	}
	for i, m := range o.Missions {
		if m.Name != s.Missions[i] {
			return fmt.Errorf("suite %s: mission %d is %s, want %s", o.Suite, i, m.Name, s.Missions[i])
		}
	}
	seen := map[string]bool{}
	for i, p := range o.Policies {
		if seen[p.Name] {
			return fmt.Errorf("policies[%d]: %s is listed twice", i, p.Name)
		}
		seen[p.Name] = true
	}
	return o.eval().Check()
}

func (o Options) eval() eval.Options {
	return eval.Options{Entries: o.Policies, Missions: o.Missions, Episodes: o.Episodes, Seed: o.Seed, MaxSteps: o.MaxSteps}
}

// Row is one policy on the leaderboard. Score is the mean per-agent
// reward over every episode of the suite (each mission weighs the same,
// as each has the same number of episodes), with its 95% bootstrap
// interval stratified by mission.
type Row struct {
	Rank            int                `json:"rank"`
	Policy          string             `json:"policy"`
	Score           stats.Summary      `json:"score"`
	SuccessRate     float64            `json:"success_rate"`
	HeartsDeposited float64            `json:"hearts_deposited"`
	MissionsWon     int                `json:"missions_won"` // missions with at least one heart deposited
	PerMission      map[string]float64 `json:"per_mission"`  // mean reward per mission
}

// Result is a benchmark: the leaderboard, best first (ties keep the order
// of the policies), and the evaluation behind it.
type Result struct {
	Suite       string           `json:"suite"`
	Policies    []string         `json:"policies"`
	Missions    []string         `json:"missions"`
	Episodes    int              `json:"episodes"`
	Seed        uint64           `json:"seed"`
	Leaderboard []Row            `json:"leaderboard"`
	Evaluation  *eval.Evaluation `json:"evaluation"`
}

// Build ranks the policies of an evaluation.
func Build(suite string, ev *eval.Evaluation) *Result {
	r := &Result{Suite: suite, Policies: ev.Policies, Missions: ev.Missions, Episodes: ev.Episodes, Seed: ev.Seed, Evaluation: ev}
	for _, p := range ev.Policies {
		row := Row{Policy: p, PerMission: map[string]float64{}}
		var strata [][]float64
		var hearts, wins []float64
		for _, m := range ev.Missions {
			var rewards []float64
			won := false
			for _, e := range ev.Results {
				if e.Policy != p || e.Mission != m {
					continue
				}
				rewards = append(rewards, e.Reward)
				hearts = append(hearts, e.HeartsDeposited)
				w := 0.0
				if e.HeartsDeposited > 0 {
					w, won = 1, true
				}
				wins = append(wins, w)
			}
			strata = append(strata, rewards)
			row.PerMission[m] = stats.Mean(rewards)
			if won {
				row.MissionsWon++
			}
		}
		row.Score = stats.Summarize(strata, ev.Seed)
		row.SuccessRate, row.HeartsDeposited = stats.Mean(wins), stats.Mean(hearts)
		r.Leaderboard = append(r.Leaderboard, row)
	}
	sort.SliceStable(r.Leaderboard, func(i, j int) bool { return r.Leaderboard[i].Score.Mean > r.Leaderboard[j].Score.Mean })
	for i := range r.Leaderboard {
		r.Leaderboard[i].Rank = i + 1
	}
	return r
}

// Operation is the benchmark operation (daf.benchmark): it evaluates the
// policies on the suite and writes benchmark.json (leaderboard and
// evaluation).
var Operation = op.Spec[Options, *Result]{
	Name: "benchmark", Folder: "benchmarks", File: "benchmark.json",
	Body: func(r *op.Run, s *output.Session, o Options) (*Result, error) {
		ev, err := eval.Operation.Body(r, s, o.eval())
		if err != nil {
			return nil, err
		}
		if ev == nil {
			return nil, errors.New("evaluation returned nothing")
		}
		return Build(o.Suite, ev), nil
	},
}

// WriteText writes the leaderboard as a table.
func (r *Result) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "Leaderboard: suite %s (%d missions), %d episodes per mission, seed %d\n\n", r.Suite, len(r.Missions), r.Episodes, r.Seed)
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: []tw.Align{tw.AlignRight, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight}}),
	)
	t.Header("rank", "policy", "score", "95% CI", "success", "hearts deposited", "missions won")
	for _, row := range r.Leaderboard {
		t.Append([]string{fmt.Sprint(row.Rank), row.Policy, Num(row.Score.Mean), "[" + Num(row.Score.CILow) + ", " + Num(row.Score.CIHigh) + "]",
			fmt.Sprintf("%.0f%%", 100*row.SuccessRate), Num(row.HeartsDeposited), fmt.Sprintf("%d/%d", row.MissionsWon, len(r.Missions))})
	}
	return t.Render()
}

// Num formats a figure as the leaderboard shows it ("-" when undefined).
func Num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf("%.4g", v)
}
