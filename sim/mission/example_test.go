package mission_test

import (
	"fmt"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
)

func ExampleGet() {
	m, err := mission.Get("training_facility.harvest+dark_side")
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Name, m.NumAgents, m.MaxSteps, m.Width, m.Height)
	fmt.Println(m.Variants)
	cfg, err := m.Build(42)
	if err != nil {
		panic(err)
	}
	env, err := sim.NewEnv(cfg, 42)
	if err != nil {
		panic(err)
	}
	fmt.Println(env.NumAgents(), cfg.Agent.EnergyRegen, cfg.Stations["carbon_extractor"].MaxUses)

	_, err = mission.Get("training_facility_1+dark_sid")
	fmt.Println(err)
	// Output:
	// training_facility.harvest+dark_side 1 1000 23 23
	// [extractor_heart_tune(10) pack_rat lonely_heart dark_side]
	// 1 0 50
	// mission "training_facility_1+dark_sid": unknown variant "dark_sid" (did you mean dark_side?)
}
