package sim

import "testing"

func TestSmokeTrainingFacility(t *testing.T) {
	e := newTestEnv(t, trainingFacility1(t), 1)
	rng := NewRNG(2)
	acts := make([]int32, e.NumAgents())
	for s := 0; s < 1000; s++ {
		for i := range acts {
			acts[i] = int32(rng.Intn(NumActions))
		}
		e.Step(acts)
	}
	t.Log(e.Render())
	t.Logf("%+v", e.Stats().Game)
}
