package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/dafscript/dafscript/runtime/analysis"
	"github.com/dafscript/dafscript/runtime/op"
)

func analyzeCmd() *Command {
	c := &Command{
		Name:    "analyze",
		Usage:   "dafscript analyze MISSION... [--seed S] [--grid=false] [--format table|json|yaml] [--out DIR]",
		Summary: "inspect missions: size, objects, reachability, resource budget",
		Help: `Inspects each MISSION (variants allowed, e.g. training_facility_1:easy)
without playing it: agents, episode length, map size, objects by type,
whether an agent on every spawn can reach every station and chest, the
resources the extractors can yield at most within the episode (given their
max uses and cooldowns), the hearts that budget pays for, and the map.
Generated maps depend on --seed. The analyses are written to
DIR/evaluations/<session>/mission_analysis.json. The exit code is 2 when a
name is not a mission, 1 when a mission does not load.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		seed := fs.Uint64("seed", 0, "`seed` that builds generated maps")
		grid := fs.Bool("grid", true, "print the map")
		format := fs.String("format", "table", "output `format`: table, json or yaml")
		out := fs.String("out", "daf_output", "output `directory`")
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if *format != "table" && *format != "json" && *format != "yaml" {
			return usageError(st, c, "--format %q: want table, json or yaml", *format)
		}
		all, code := doCommand(st, c, *out, 1, nil, analysis.MissionOperation, op.Call[analysis.MissionOptions]{
			Options: analysis.MissionOptions{Missions: pos, Seed: *seed}, Seed: *seed,
			Args: map[string]any{"command": "analyze", "missions": pos}},
			func(w io.Writer, all []*analysis.MissionAnalysis) error {
				if *format != "table" {
					var v any = all
					if len(all) == 1 {
						v = all[0]
					}
					return writeStructured(w, *format, v)
				}
				for i, a := range all {
					if i > 0 {
						fmt.Fprintln(w)
					}
					writeAnalysis(w, a, *grid)
				}
				return nil
			}, "analysis")
		if code != ExitOK {
			return code
		}
		for _, a := range all {
			if !a.Loadable {
				return ExitError
			}
		}
		return ExitOK
	}
	return c
}

func writeAnalysis(w io.Writer, a *analysis.MissionAnalysis, grid bool) {
	fmt.Fprintf(w, "mission %s\n", a.Name)
	fmt.Fprintf(w, "  loadable:   %v\n", a.Loadable)
	for _, e := range a.Errors {
		fmt.Fprintf(w, "  error:      %s\n", e)
	}
	fmt.Fprintf(w, "  agents:     %d\n  max steps:  %d\n  map:        %d x %d\n", a.NumAgents, a.MaxSteps, a.Width, a.Height)
	keys := slices.Sorted(maps.Keys(a.ObjectCounts))
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, a.ObjectCounts[k]))
	}
	fmt.Fprintf(w, "  objects:    %s\n", strings.Join(parts, ", "))
	if a.AllReachable {
		fmt.Fprintf(w, "  reachable:  every station from every spawn\n")
	} else {
		fmt.Fprintf(w, "  reachable:  no\n")
		for _, u := range a.Unreachable {
			fmt.Fprintf(w, "    %s\n", u)
		}
	}
	parts = parts[:0]
	for _, r := range []string{"carbon", "oxygen", "germanium", "silicon"} {
		parts = append(parts, fmt.Sprintf("%s %d", r, a.ResourceBudget[r]))
	}
	fmt.Fprintf(w, "  budget:     %s (at most, within max steps)\n", strings.Join(parts, ", "))
	fmt.Fprintf(w, "  max hearts: %d\n", a.MaxHearts)
	if grid && len(a.Grid) > 0 {
		fmt.Fprintln(w)
		for _, row := range a.Grid {
			fmt.Fprintf(w, "  %s\n", row)
		}
	}
}
