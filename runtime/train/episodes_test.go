//go:build learning || benchlearning

package train

import (
	"testing"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

// playMission plays n episodes of m with the policy, episode e seeded by
// (seed, label, e), and returns each episode's mean reward per agent and
// the hearts in its chests. The learning test and the learning benchmark
// both judge their checkpoints with it.
func playMission(t *testing.T, m *mission.Mission, spec policy.Spec, n int, seed uint64, label string) (rewards, hearts []float64) {
	t.Helper()
	p, err := policy.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	for ep := 0; ep < n; ep++ {
		s := sim.DeriveSeed(seed, label, uint64(ep))
		cfg, err := m.Build(s)
		if err != nil {
			t.Fatal(err)
		}
		env, err := sim.NewEnv(cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		k := env.NumAgents()
		c, err := p.NewController(k)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < k; i++ {
			c.Reset(i, sim.DeriveSeed(s, "agent", uint64(i)))
		}
		obs := make([]uint8, k*sim.ObsSize)
		act := make([]int32, k)
		for done := false; !done; {
			env.ObserveInto(obs)
			if err := c.Act(obs, act); err != nil {
				t.Fatal(err)
			}
			done = env.Step(act)
		}
		rewards = append(rewards, meanOf(env.EpisodeRewards()))
		hearts = append(hearts, float64(env.ChestHearts()))
	}
	return rewards, hearts
}
