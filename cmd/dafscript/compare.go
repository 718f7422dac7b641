package main

import (
	"io"

	"github.com/dafscript/dafscript/runtime/compare"
	"github.com/dafscript/dafscript/runtime/op"
)

func compareCmd() *Command {
	c := &Command{
		Name:    "compare",
		Usage:   "dafscript compare -m MISSION... -p POLICY... [-e N] [--seed S] [--alpha A] [--metric reward|hearts|performance_score] [--jobs N] [--mix] [--format table|json|yaml] [--out DIR]",
		Summary: "compare policies statistically",
		Help: `Plays every policy (-p, at least two) on every mission (-m) for -e episodes
per mission and compares them: a ranked summary (mean, 95% bootstrap
interval, std, median, IQM), the mean per mission, and every pair with
Welch's t-test, the Mann-Whitney U test, Holm-adjusted p-values (marked
* <= alpha, ** < 0.01, *** < 0.001), Cohen's d and the probability of
improvement, pooled over the missions and, with several missions, for
each mission alone. Each policy plays its own episodes by default; with --mix all
policies share one team and each is scored on its own agents. Warnings say
when the episodes are too few for any difference to reach significance.
The report is written to DIR/comparisons/<session>/comparison.json;
docs/statistics.md explains every number.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		f := episodeFlags{proportionHint: "compare takes no proportions: each policy plays its own episodes, or with --mix an equal share of one team"}
		f.define(fs, st, 5)
		alpha := fs.Float64("alpha", 0.05, "significance `level` of the Holm-adjusted tests")
		metric := fs.String("metric", "reward", "`metric` compared: reward, hearts or performance_score")
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) > 0 {
			return usageError(st, c, "unexpected argument %q (missions go after -m, policies after -p)", pos[0])
		}
		mixed := f.mix
		f.mix = false // in compare, --mix means the mixed mode, not a team of proportions
		ms, entries, err := f.parse()
		if err != nil {
			return usageError(st, c, "%v", err)
		}
		_, code = doCommand(st, c, f.out, f.jobs, newRunDist(st, st.Ctx, &f.dist, f.jobs), compare.Operation, op.Call[compare.Options]{
			Options: compare.Options{Policies: entries, Missions: ms, EpisodesPerMission: f.episodes, Seed: f.seed,
				Alpha: *alpha, Metric: *metric, Mixed: mixed, MaxSteps: f.steps},
			Seed: f.seed,
			Args: map[string]any{"command": "compare", "missions": []string(f.missions), "policies": []string(f.policies),
				"episodes_per_mission": f.episodes, "episode_steps": f.steps, "alpha": *alpha, "metric": *metric, "mixed": mixed},
		}, showAs(f.format, func(rep *compare.Report, w io.Writer) error { return rep.WriteText(w, useColor(st)) }), "report")
		return code
	}
	return c
}
