// Package benchmark runs named suites of missions (minimal, standard,
// full) for a set of policies and ranks them on a leaderboard.
package benchmark

import (
	"fmt"
	"strings"

	"github.com/dafscript/dafscript/sim/suggest"
)

// Suite is a named list of missions.
type Suite struct {
	Name     string   `json:"name"`
	Doc      string   `json:"doc"`
	Missions []string `json:"missions"`
}

// Winnable is a mission of the full suite with the evidence that the
// scripted baseline wins it: in episode 0 of an evaluation with seed
// FullSeed, capped at Steps steps, it deposits at least one heart in a
// chest. TestFullSuiteIsWinnable
// replays every one.
type Winnable struct {
	Mission string
	Steps   int
}

// FullSeed is the episode seed of every Winnable's proof.
const FullSeed = 0

// Full lists every catalog mission the scripted baseline wins (it
// deposits a heart), in catalog order, each with the shortest of 150,
// 300, 600 and 1000 steps in which it does so (see Winnable). The
// catalog missions left out (the diagnostics, training_facility.repair,
// training_facility_6) are those where it deposits none in 1000 steps;
// TestFullSuiteIsComplete checks that too.
var Full = []Winnable{
	{"assembler_2", 300},
	{"evals.eval_balanced_spread", 300},
	{"evals.eval_clip_oxygen", 300},
	{"evals.eval_collect_resources", 300},
	{"evals.eval_collect_resources_hard", 1000},
	{"evals.eval_collect_resources_medium", 300},
	{"evals.eval_divide_and_conquer", 600},
	{"evals.eval_energy_starved", 600},
	{"evals.eval_multi_coordinated_collect_hard", 600},
	{"evals.eval_oxygen_bottleneck", 600},
	{"evals.eval_single_use_world", 300},
	{"evals.extractor_hub_100x100", 300},
	{"evals.extractor_hub_30x30", 600},
	{"evals.extractor_hub_50x50", 600},
	{"evals.extractor_hub_70x70", 600},
	{"evals.extractor_hub_80x80", 600},
	{"hello_world.easy_hearts_hello_world", 300},
	{"hello_world.hello_world_unclip", 300},
	{"hello_world.open_world", 600},
	{"machina_1.open_world", 300},
	{"training_facility.easy_hearts_training_facility", 300},
	{"training_facility.harvest", 150},
	{"training_facility.vibe_check", 600},
	{"training_facility_1", 600},
	{"training_facility_2", 600},
	{"training_facility_3", 600},
	{"training_facility_4", 300},
	{"training_facility_5", 600},
}

func fullMissions() []string {
	out := make([]string, len(Full))
	for i, w := range Full {
		out[i] = w.Mission
	}
	return out
}

// Suites are the named suites, smallest first.
func Suites() []Suite {
	return []Suite{
		{Name: "minimal", Doc: "one mission, for a smoke test", Missions: []string{"training_facility_1"}},
		{Name: "standard", Doc: "three missions: two training facilities and an assembler", Missions: []string{"training_facility_1", "training_facility_2", "assembler_2"}},
		{Name: "full", Doc: "every catalog mission the scripted baseline wins", Missions: fullMissions()},
	}
}

// SuiteNames lists the suites' names.
func SuiteNames() []string {
	var out []string
	for _, s := range Suites() {
		out = append(out, s.Name)
	}
	return out
}

// Lookup returns the suite called name.
func Lookup(name string) (Suite, error) {
	for _, s := range Suites() {
		if s.Name == name {
			return s, nil
		}
	}
	return Suite{}, fmt.Errorf("unknown suite %q%s; suites: %s", name, suggest.Hint(name, SuiteNames(), 1), strings.Join(SuiteNames(), ", "))
}
