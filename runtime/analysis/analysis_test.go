package analysis

import (
	"context"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
)

// training_facility_1: one extractor of each kind, 4 cogs, 1000 steps.
// carbon 25 uses x 2 = 50; oxygen 5 uses (cooldown 100 allows 10) x 10 =
// 50; germanium 1 use x 5 (all 4 cogs) = 5; silicon 10 uses x 15 = 150.
// The 4-cog heart recipe (25, 25, 5, 75 for 4 hearts) fits once: 4 hearts;
// the 1-cog recipe (10, 10, 2, 30) only twice, germanium bound.
func TestTrainingFacility1(t *testing.T) {
	a := AnalyzeMission("training_facility_1")
	if !a.Loadable || len(a.Errors) != 0 {
		t.Fatalf("not loadable: %v", a.Errors)
	}
	if a.NumAgents != 4 || a.MaxSteps != 1000 || a.Width != 31 || a.Height != 31 || len(a.Grid) != 31 || len(a.Grid[0]) != 31 {
		t.Errorf("agents %d steps %d size %dx%d grid %d rows", a.NumAgents, a.MaxSteps, a.Width, a.Height, len(a.Grid))
	}
	for name, want := range map[string]int{"agent": 4, "assembler": 1, "chest": 1, "charger": 1, "carbon_extractor": 1,
		"oxygen_extractor": 1, "germanium_extractor": 1, "silicon_extractor": 1} {
		if a.ObjectCounts[name] != want {
			t.Errorf("object_counts[%s] = %d, want %d", name, a.ObjectCounts[name], want)
		}
	}
	if !a.AllReachable || len(a.Unreachable) != 0 {
		t.Errorf("reachability: %v %v", a.AllReachable, a.Unreachable)
	}
	want := map[string]int{"carbon": 50, "oxygen": 50, "germanium": 5, "silicon": 150}
	for r, v := range want {
		if a.ResourceBudget[r] != v {
			t.Errorf("budget %s = %d, want %d", r, a.ResourceBudget[r], v)
		}
	}
	if a.MaxHearts != 4 {
		t.Errorf("max hearts %d, want 4", a.MaxHearts)
	}
	if !strings.Contains(strings.Join(a.Grid, "\n"), "&") {
		t.Errorf("grid lacks the assembler:\n%s", strings.Join(a.Grid, "\n"))
	}
}

func TestUnknownMission(t *testing.T) {
	a := AnalyzeMission("training_facilty_1")
	if a.Loadable || len(a.Errors) != 1 || !strings.Contains(a.Errors[0], "did you mean") {
		t.Errorf("loadable %v errors %v", a.Loadable, a.Errors)
	}
}

func handConfig(rows ...string) *sim.GameConfig {
	names := map[byte]string{'#': "wall", '.': "empty", '@': "agent", '&': "assembler", '=': "chest", '+': "charger",
		'c': "carbon_extractor", 'o': "oxygen_extractor", 'g': "germanium_extractor", 's': "silicon_extractor"}
	m := &sim.Map{Name: "hand", Width: len(rows[0]), Height: len(rows)}
	agents := 0
	for _, r := range rows {
		for i := 0; i < len(r); i++ {
			m.Cells = append(m.Cells, names[r[i]])
			if r[i] == '@' {
				agents++
			}
		}
	}
	return &sim.GameConfig{Name: "hand", Map: m, NumAgents: agents, MaxSteps: 100, Agent: sim.DefaultAgentConfig(),
		Stations: sim.DefaultStations(), Chest: sim.DefaultChestConfig()}
}

func TestUnreachableStation(t *testing.T) {
	a := AnalyzeConfig("hand", handConfig(
		"#########",
		"#@..#...#",
		"#.&.#.c.#",
		"#..=#...#",
		"#...#..@#",
		"#########",
	))
	if a.AllReachable {
		t.Fatal("a wall splits the map, yet all is reachable")
	}
	got := strings.Join(a.Unreachable, "\n")
	for _, want := range []string{"carbon_extractor at row 2, col 6: unreachable from agent 0", "assembler at row 2, col 2: unreachable from agent 1", "chest at row 3, col 3: unreachable from agent 1"} {
		if !strings.Contains(got, want) {
			t.Errorf("unreachable:\n%s\nwant %q", got, want)
		}
	}
	// 100 steps: carbon 25 uses x 2.
	if a.ResourceBudget["carbon"] != 50 || a.ResourceBudget["oxygen"] != 0 || a.MaxHearts != 0 {
		t.Errorf("budget %v hearts %d", a.ResourceBudget, a.MaxHearts)
	}
	// A station next to a spawn is usable without a step.
	b := AnalyzeConfig("hand", handConfig("#####", "#@c.#", "#####"))
	if !b.AllReachable {
		t.Errorf("adjacent station unreachable: %v", b.Unreachable)
	}
}

func TestAnalyzePerformance(t *testing.T) {
	var ms []*mission.Mission
	for _, n := range []string{"training_facility_1", "training_facility.harvest"} {
		m, err := mission.Get(n)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	var entries []eval.Entry
	for _, s := range []string{"baseline", "noop"} {
		e, _ := eval.ParseEntry(s)
		entries = append(entries, e)
	}
	res, err := eval.Run(context.Background(), eval.Options{Entries: entries, Missions: ms, Episodes: 3, Seed: 2, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	p, err := AnalyzePerformance(res, "training_facility.harvest")
	if err != nil {
		t.Fatal(err)
	}
	base, noop := p.Policies[0], p.Policies[1]
	if base.Policy != "baseline" || base.Episodes != 3 || base.SuccessRate != 1 || !(base.HeartsPerEpisode >= 1) || base.ResourceFlow["carbon.gained"] <= 0 {
		t.Errorf("baseline: %+v", base)
	}
	if noop.SuccessRate != 0 || noop.HeartsPerEpisode != 0 || noop.ActionFailureRate != 0 || noop.StepsWithoutMotion == 0 {
		t.Errorf("noop: %+v", noop)
	}
	all, err := AnalyzePerformance(res, "")
	if err != nil || all.Policies[0].Episodes != 6 {
		t.Errorf("pooled: %v %+v", err, all)
	}
	if _, err := AnalyzePerformance(res, "training_facility_2"); err == nil || !strings.Contains(err.Error(), "not in the results") {
		t.Errorf("err = %v", err)
	}
}
