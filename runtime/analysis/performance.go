package analysis

import (
	"fmt"
	"strings"

	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/sim"
)

// AnalyzePerformance summarises, per policy, the episodes of res on
// mission ("" pools all missions).
func AnalyzePerformance(res *eval.Results, mission string) (*Performance, error) {
	mis, err := missionIndex(res, mission)
	if err != nil {
		return nil, err
	}
	out := &Performance{Mission: mission, Policies: []PolicyPerformance{}}
	for i, name := range res.Policies {
		var eps []eval.Episode
		for j := range res.Missions {
			if mis < 0 || j == mis {
				eps = append(eps, res.Of(i, j)...)
			}
		}
		out.Policies = append(out.Policies, performance(name, eps))
	}
	return out, nil
}

// missionIndex is the index of mission in res, -1 for "" (every mission).
func missionIndex(res *eval.Results, mission string) (int, error) {
	if mission == "" {
		return -1, nil
	}
	for j, m := range res.Missions {
		if m == mission {
			return j, nil
		}
	}
	return 0, fmt.Errorf("mission %q is not in the results (missions: %s)", mission, strings.Join(res.Missions, ", "))
}

func performance(name string, eps []eval.Episode) PolicyPerformance {
	p := PolicyPerformance{Policy: name, Episodes: len(eps), ResourceFlow: map[string]float64{}}
	if len(eps) == 0 {
		return p
	}
	var success, failed, actions, still float64
	agents := 0
	for _, e := range eps {
		if e.HeartsDeposited >= 1 {
			success++
		}
		p.HeartsPerEpisode += e.HeartsDeposited
		p.RewardPerEpisode += e.Reward
		p.StepsPerEpisode += float64(e.Steps)
		failed += e.ActionFailed
		actions += e.ActionSuccess + e.ActionFailed
		for _, a := range e.AgentStats {
			still += a["status.max_steps_without_motion"]
			agents++
			for r := sim.Carbon; r < sim.NumResources; r++ {
				for _, k := range []string{".gained", ".lost"} {
					if v := a[r.String()+k]; v != 0 {
						p.ResourceFlow[r.String()+k] += v
					}
				}
			}
		}
		for r := sim.Carbon; r < sim.NumResources; r++ {
			if v := e.GameStats["chest."+r.String()+".deposited"]; v != 0 {
				p.ResourceFlow["chest."+r.String()+".deposited"] += v
			}
		}
	}
	n := float64(len(eps))
	p.SuccessRate = success / n
	p.HeartsPerEpisode /= n
	p.RewardPerEpisode /= n
	p.StepsPerEpisode /= n
	if actions > 0 {
		p.ActionFailureRate = failed / actions
	}
	if agents > 0 {
		p.StepsWithoutMotion = still / float64(agents)
	}
	for k := range p.ResourceFlow {
		p.ResourceFlow[k] /= n
	}
	return p
}
