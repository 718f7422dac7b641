package sim

import "strconv"

// Action handlers, for the action.<handler>.success|failed stats.
const (
	handlerNoop = iota
	handlerMove
	handlerVibe
	numHandlers
)

var handlerNames = [numHandlers]string{"noop", "move", "change_vibe"}

const statActionFailed = numHandlers * 2

// agentStats are one agent's counters, fixed-size so that stepping never
// allocates; Stats builds the named map.
type agentStats struct {
	act            [numHandlers*2 + 1]float64 // success/failed per handler, then action.failed
	gained, lost   [NumResources]float64
	diversity      float64
	diversityGE    [4]float64 // .ge.2 .. .ge.5, set to 1 once reached
	maxStill       float64    // status.max_steps_without_motion
	chestDeposited [NumResources]float64
	chestWithdrawn [NumResources]float64
}

type gameStats struct {
	chestAmount    [NumResources]int32
	chestDeposited [NumResources]float64
	chestWithdrawn [NumResources]float64
	tokensWritten  float64
	tokensDropped  float64
	tokensFree     float64
	clipped        float64
	unclipped      float64
}

// EpisodeStats is a snapshot of an episode's stats.
type EpisodeStats struct {
	Steps   int
	Agents  []map[string]float64 // per agent: "action.move.success", "carbon.gained", "inventory.diversity", ...
	Game    map[string]float64   // "chest.heart.deposited", "chest.heart.amount", "objects.wall", ...
	Rewards []float64            // cumulative per agent
}

// snapshot holds the raw counters of an episode, reusable without
// allocation once its slices have grown.
type snapshot struct {
	steps   int
	agents  []agentStats
	inv     [][NumResources]int32
	game    gameStats
	rewards []float64
	objects [numTypes]int
	env     int
	episode uint64
}

func (e *Env) snapshotInto(s *snapshot) {
	s.steps = e.step
	s.agents = s.agents[:0]
	s.inv = s.inv[:0]
	for i := range e.agents {
		s.agents = append(s.agents, e.agents[i].st)
		s.inv = append(s.inv, e.agents[i].inv)
	}
	s.game = e.gs
	s.rewards = append(s.rewards[:0], e.epRewards...)
	s.objects = e.objCounts
}

// chestResources are always reported in the game stats.
var chestResources = []Resource{Carbon, Oxygen, Germanium, Silicon, Heart}

func (s *snapshot) build() EpisodeStats {
	out := EpisodeStats{Steps: s.steps, Rewards: append([]float64(nil), s.rewards...)}
	for i := range s.agents {
		st := &s.agents[i]
		m := make(map[string]float64, 64)
		for h := 0; h < numHandlers; h++ {
			m["action."+handlerNames[h]+".success"] = st.act[h*2]
			m["action."+handlerNames[h]+".failed"] = st.act[h*2+1]
		}
		m["action.failed"] = st.act[statActionFailed]
		for r := 0; r < NumResources; r++ {
			n := resourceNames[r]
			m[n+".gained"] = st.gained[r]
			m[n+".lost"] = st.lost[r]
			m[n+".amount"] = float64(s.inv[i][r])
			if st.chestDeposited[r] != 0 {
				m["chest."+n+".deposited_by_agent"] = st.chestDeposited[r]
			}
			if st.chestWithdrawn[r] != 0 {
				m["chest."+n+".withdrawn_by_agent"] = st.chestWithdrawn[r]
			}
		}
		m["inventory.diversity"] = st.diversity
		for t := 0; t < 4; t++ {
			m["inventory.diversity.ge."+strconv.Itoa(t+2)] = st.diversityGE[t]
		}
		m["status.max_steps_without_motion"] = st.maxStill
		out.Agents = append(out.Agents, m)
	}
	g := make(map[string]float64, 32)
	for r := 0; r < NumResources; r++ {
		res := Resource(r)
		always := false
		for _, c := range chestResources {
			always = always || c == res
		}
		if !always && s.game.chestAmount[r] == 0 && s.game.chestDeposited[r] == 0 && s.game.chestWithdrawn[r] == 0 {
			continue
		}
		n := resourceNames[r]
		g["chest."+n+".deposited"] = s.game.chestDeposited[r]
		g["chest."+n+".withdrawn"] = s.game.chestWithdrawn[r]
		g["chest."+n+".amount"] = float64(s.game.chestAmount[r])
	}
	for t, c := range s.objects {
		if c > 0 {
			g["objects."+typeNames[t]] = float64(c)
		}
	}
	g["tokens_written"] = s.game.tokensWritten
	g["tokens_dropped"] = s.game.tokensDropped
	g["tokens_free_space"] = s.game.tokensFree
	g["clipper.clipped"] = s.game.clipped
	g["clipper.unclipped"] = s.game.unclipped
	out.Game = g
	return out
}

// Stats returns a snapshot of the episode's stats so far.
func (e *Env) Stats() *EpisodeStats {
	var s snapshot
	e.snapshotInto(&s)
	st := s.build()
	return &st
}
