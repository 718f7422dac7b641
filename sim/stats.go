package sim

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

// copyFrom copies o into s, reusing s's storage.
func (s *snapshot) copyFrom(o *snapshot) {
	agents, inv, rewards := s.agents, s.inv, s.rewards
	*s = *o
	s.agents = append(agents[:0], o.agents...)
	s.inv = append(inv[:0], o.inv...)
	s.rewards = append(rewards[:0], o.rewards...)
}

// chestResources are always reported in the game stats.
var chestResources = []Resource{Carbon, Oxygen, Germanium, Silicon, Heart}

// Stat names, built once.
var (
	actStatNames = func() (n [numHandlers*2 + 1]string) {
		for h := 0; h < numHandlers; h++ {
			n[h*2] = "action." + handlerNames[h] + ".success"
			n[h*2+1] = "action." + handlerNames[h] + ".failed"
		}
		n[statActionFailed] = "action.failed"
		return
	}()
	resStatNames = func() (n [NumResources][7]string) {
		for r, name := range resourceNames {
			n[r] = [7]string{name + ".gained", name + ".lost", name + ".amount",
				"chest." + name + ".deposited_by_agent", "chest." + name + ".withdrawn_by_agent",
				"chest." + name + ".deposited", "chest." + name + ".withdrawn"}
		}
		return
	}()
	chestAmountNames = func() (n [NumResources]string) {
		for r, name := range resourceNames {
			n[r] = "chest." + name + ".amount"
		}
		return
	}()
	diversityNames = [4]string{"inventory.diversity.ge.2", "inventory.diversity.ge.3", "inventory.diversity.ge.4", "inventory.diversity.ge.5"}
	objectNames    = func() (n [numTypes]string) {
		for t, name := range typeNames {
			n[t] = "objects." + name
		}
		return
	}()
)

// AgentStatNames lists the per-agent stats every episode reports, in a
// fixed order (the chest.*_by_agent ones appear only when non-zero).
func AgentStatNames() []string {
	var out []string
	out = append(out, actStatNames[:]...)
	for r := range resStatNames {
		out = append(out, resStatNames[r][:3]...)
	}
	out = append(out, "inventory.diversity")
	out = append(out, diversityNames[:]...)
	return append(out, "status.max_steps_without_motion")
}

func (s *snapshot) build() EpisodeStats {
	out := EpisodeStats{Steps: s.steps, Rewards: append([]float64(nil), s.rewards...)}
	out.Agents = make([]map[string]float64, len(s.agents))
	for i := range s.agents {
		st := &s.agents[i]
		m := make(map[string]float64, 48)
		for k, name := range actStatNames {
			m[name] = st.act[k]
		}
		for r := 0; r < NumResources; r++ {
			n := &resStatNames[r]
			m[n[0]] = st.gained[r]
			m[n[1]] = st.lost[r]
			m[n[2]] = float64(s.inv[i][r])
			if st.chestDeposited[r] != 0 {
				m[n[3]] = st.chestDeposited[r]
			}
			if st.chestWithdrawn[r] != 0 {
				m[n[4]] = st.chestWithdrawn[r]
			}
		}
		m["inventory.diversity"] = st.diversity
		for t, name := range diversityNames {
			m[name] = st.diversityGE[t]
		}
		m["status.max_steps_without_motion"] = st.maxStill
		out.Agents[i] = m
	}
	g := make(map[string]float64, 32)
	for r := 0; r < NumResources; r++ {
		always := false
		for _, c := range chestResources {
			always = always || int(c) == r
		}
		if !always && s.game.chestAmount[r] == 0 && s.game.chestDeposited[r] == 0 && s.game.chestWithdrawn[r] == 0 {
			continue
		}
		g[resStatNames[r][5]] = s.game.chestDeposited[r]
		g[resStatNames[r][6]] = s.game.chestWithdrawn[r]
		g[chestAmountNames[r]] = float64(s.game.chestAmount[r])
	}
	for t, c := range s.objects {
		if c > 0 {
			g[objectNames[t]] = float64(c)
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
