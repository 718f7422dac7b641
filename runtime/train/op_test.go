package train

import (
	"strings"
	"testing"
)

// TestCheck: every rule of Options.Check, without libtorch; each error
// names the option and says what would be right.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(o *Options)
		want string // "" : valid
	}{
		{"valid", func(o *Options) {}, ""},
		{"mix of cog counts", func(o *Options) {
			o.Missions = missions(t, "assembler_2", "training_facility.harvest")
		}, ""},
		{"mix spelt out", func(o *Options) { o.Curriculum = "mix" }, ""},
		{"sequence of equal cogs", func(o *Options) {
			o.Curriculum = "sequence"
			o.Missions = missions(t, "assembler_2+cogs(4)", "training_facility_1+cogs(4)")
		}, ""},
		{"no missions", func(o *Options) { o.Missions = nil }, "missions: none given; name at least one mission to train on"},
		{"nil mission", func(o *Options) { o.Missions = append(o.Missions, nil) }, `missions[1]: got no mission, want a mission such as "training_facility_1"`},
		{"unknown curriculum", func(o *Options) { o.Curriculum = "sequential" }, `curriculum: got "sequential", want "mix" or "sequence"`},
		{"sequence of unequal cogs", func(o *Options) {
			o.Curriculum = "sequence"
			o.Missions = missions(t, "assembler_2", "training_facility_1", "training_facility.harvest")
		}, `missions[2]: training_facility.harvest has 1 cogs but missions[0] assembler_2 has 4; curriculum "sequence" needs the same number in every mission (set it with +cogs(N), or use curriculum "mix")`},
		{"policy", func(o *Options) { o.Policy = "baseline" }, `policy: got "baseline", want "lstm" or "stateless"`},
		{"steps", func(o *Options) { o.Steps = 0 }, "steps: got 0, want an int >= 1"},
		{"checkpoint_every", func(o *Options) { o.CheckpointEvery = -1 }, "checkpoint_every: got -1, want 0 (only the final checkpoint) or more"},
		{"hyperparameter", func(o *Options) { o.Hyperparameters["ent_coeff"] = 0 }, "hyperparameters: "},
		{"parallel", func(o *Options) { o.Parallel = Parallel{World: 2, Rank: 2, Master: "127.0.0.1:1"} },
			"data-parallel training: rank 2 is not in a world of 2 (ranks are 0 to 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := small(t, "stateless", 1, "")
			tc.edit(&o)
			err := o.Check()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Errorf("error %v, want one starting %q", err, tc.want)
			}
		})
	}
}
