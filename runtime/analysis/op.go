package analysis

import (
	"errors"
	"fmt"

	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/sim/mission"
)

// MissionOptions are the options of the analyze operation.
type MissionOptions struct {
	Missions []string // names, variants allowed
	Seed     uint64   // builds generated maps
}

// Check is the only validation of mission analysis options.
func (o MissionOptions) Check() error {
	if len(o.Missions) == 0 {
		return errors.New("missions: none given; name at least one mission (see dafscript missions)")
	}
	for _, name := range o.Missions {
		if _, err := mission.Get(name); err != nil {
			return err
		}
	}
	return nil
}

// MissionOperation is the analyze operation (daf.analyze_mission,
// dafscript analyze): it writes evaluations/<session>/mission_analysis.json,
// one analysis or, for several missions, a list of them.
var MissionOperation = op.Spec[MissionOptions, []*MissionAnalysis]{
	Name: "analysis", Folder: "evaluations",
	Body: func(_ *op.Run, s *output.Session, o MissionOptions) ([]*MissionAnalysis, error) {
		var all []*MissionAnalysis
		for _, name := range o.Missions {
			all = append(all, AnalyzeMissionSeed(name, o.Seed))
		}
		var v any = all
		if len(all) == 1 {
			v = all[0]
		}
		_, err := s.WriteJSON("mission_analysis.json", v)
		return all, err
	},
}

// PerformanceOptions are the options of the performance analysis.
type PerformanceOptions struct {
	Results *eval.Results
	Mission string // "" for every mission
}

// Check is the only validation of performance analysis options.
func (o PerformanceOptions) Check() error {
	if o.Results == nil {
		return errors.New("results: none given, want the result of an evaluation or a comparison")
	}
	_, err := missionIndex(o.Results, o.Mission)
	if err != nil {
		return fmt.Errorf("mission: %w", err)
	}
	return nil
}

// PerformanceOperation is daf.analyze_performance: it writes
// evaluations/<session>/performance.json.
var PerformanceOperation = op.Spec[PerformanceOptions, *Performance]{
	Name: "performance analysis", Folder: "evaluations", File: "performance.json",
	Body: func(_ *op.Run, _ *output.Session, o PerformanceOptions) (*Performance, error) {
		return AnalyzePerformance(o.Results, o.Mission)
	},
}
