package analysis

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
)

// DefaultSeed builds the mission that AnalyzeMission inspects; procedural
// maps differ by seed, file maps do not.
const DefaultSeed = 0

// AnalyzeMission inspects the mission name (variants allowed) built with
// DefaultSeed. A mission that does not load is reported, not returned as
// an error: Loadable is false and Errors says why.
func AnalyzeMission(name string) *MissionAnalysis {
	return AnalyzeMissionSeed(name, DefaultSeed)
}

// AnalyzeMissionSeed inspects the mission built with seed.
func AnalyzeMissionSeed(name string, seed uint64) *MissionAnalysis {
	a := &MissionAnalysis{Name: name, Errors: []string{}, ObjectCounts: map[string]int{},
		Unreachable: []string{}, ResourceBudget: map[string]int{}, Grid: []string{}}
	m, err := mission.Get(name)
	if err != nil {
		a.Errors = append(a.Errors, err.Error())
		return a
	}
	a.Name = m.Name
	cfg, err := m.Build(seed)
	if err != nil {
		a.Errors = append(a.Errors, err.Error())
		return a
	}
	return analyzeConfig(a, cfg)
}

// AnalyzeConfig inspects a built game configuration.
func AnalyzeConfig(name string, cfg *sim.GameConfig) *MissionAnalysis {
	a := &MissionAnalysis{Name: name, Errors: []string{}, ObjectCounts: map[string]int{},
		Unreachable: []string{}, ResourceBudget: map[string]int{}, Grid: []string{}}
	return analyzeConfig(a, cfg)
}

func analyzeConfig(a *MissionAnalysis, cfg *sim.GameConfig) *MissionAnalysis {
	a.NumAgents, a.MaxSteps = cfg.NumAgents, cfg.MaxSteps
	if err := cfg.Validate(); err != nil {
		a.Errors = append(a.Errors, err.Error())
	}
	if cfg.Map == nil {
		a.Errors = append(a.Errors, "the mission has no map")
		return a
	}
	if _, err := sim.NewEnv(cfg, DefaultSeed); err != nil && len(a.Errors) == 0 {
		a.Errors = append(a.Errors, err.Error())
	}
	a.Loadable = len(a.Errors) == 0
	g := newGrid(cfg.Map)
	a.Width, a.Height = g.w, g.h
	for _, c := range g.cells {
		if c.name != "empty" {
			a.ObjectCounts[c.name]++
		}
	}
	for _, name := range g.unknown {
		a.Errors = append(a.Errors, fmt.Sprintf("unknown object %q in the map", name))
		a.Loadable = false
	}
	a.Grid = g.ascii()
	a.Unreachable = g.unreachable()
	a.AllReachable = len(a.Unreachable) == 0 && len(g.spawns) > 0
	if len(g.spawns) == 0 {
		a.Errors = append(a.Errors, "the map has no agent spawn")
	}
	a.ResourceBudget = budget(cfg, g)
	a.MaxHearts = maxHearts(cfg, a.ResourceBudget)
	return a
}

type cell struct {
	name    string // canonical: empty, wall, agent, chest or a station
	clipped bool
}

type grid struct {
	w, h    int
	cells   []cell
	spawns  []int // cell indices in row-major order, the agents' order
	unknown []string
}

func newGrid(m *sim.Map) *grid {
	g := &grid{w: m.Width, h: m.Height, cells: make([]cell, len(m.Cells))}
	seen := map[string]bool{}
	for i, raw := range m.Cells {
		name, clipped, ok := sim.CanonicalObject(raw)
		if !ok {
			if !seen[raw] {
				g.unknown = append(g.unknown, raw)
				seen[raw] = true
			}
			name = "wall"
		}
		g.cells[i] = cell{name, clipped}
		if name == "agent" {
			g.spawns = append(g.spawns, i)
		}
	}
	return g
}

var glyphs = map[string]byte{
	"empty": '.', "wall": '#', "agent": '@', "assembler": '&', "charger": '+', "chest": '=',
	"carbon_extractor": 'c', "oxygen_extractor": 'o', "germanium_extractor": 'g', "silicon_extractor": 's',
}

// ascii draws the map with the map files' characters; a station that
// starts clipped is upper case.
func (g *grid) ascii() []string {
	rows := make([]string, g.h)
	for r := range rows {
		b := make([]byte, g.w)
		for c := range b {
			cl := g.cells[r*g.w+c]
			ch, ok := glyphs[cl.name]
			if !ok {
				ch = '?'
			}
			if cl.clipped {
				ch = strings.ToUpper(string(ch))[0]
			}
			b[c] = ch
		}
		rows[r] = string(b)
	}
	return rows
}

// walkable cells are empty or spawns: agents move away, so a spawn does
// not block others for good.
func (g *grid) walkable(i int) bool {
	n := g.cells[i].name
	return n == "empty" || n == "agent"
}

// reach marks the walkable cells reachable from cell start (4-neighbour
// moves, as the game's).
func (g *grid) reach(start int) []bool {
	seen := make([]bool, len(g.cells))
	seen[start] = true
	queue := []int{start}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, j := range g.neighbours(i) {
			if !seen[j] && g.walkable(j) {
				seen[j] = true
				queue = append(queue, j)
			}
		}
	}
	return seen
}

func (g *grid) neighbours(i int) []int {
	r, c := i/g.w, i%g.w
	out := make([]int, 0, 4)
	if r > 0 {
		out = append(out, i-g.w)
	}
	if r < g.h-1 {
		out = append(out, i+g.w)
	}
	if c > 0 {
		out = append(out, i-1)
	}
	if c < g.w-1 {
		out = append(out, i+1)
	}
	return out
}

// unreachable lists every station (chests included) that some spawn
// cannot use: an agent uses a station by moving into it, so it must reach
// one of its four neighbours.
func (g *grid) unreachable() []string {
	reach := make([][]bool, len(g.spawns))
	for k, s := range g.spawns {
		reach[k] = g.reach(s)
	}
	out := []string{}
	for i, c := range g.cells {
		if c.name == "empty" || c.name == "wall" || c.name == "agent" {
			continue
		}
		var from []string
		for k := range g.spawns {
			ok := false
			for _, j := range g.neighbours(i) {
				ok = ok || reach[k][j]
			}
			if !ok {
				from = append(from, fmt.Sprint(k))
			}
		}
		if len(from) > 0 {
			out = append(out, fmt.Sprintf("%s at row %d, col %d: unreachable from agent %s", c.name, i/g.w, i%g.w, strings.Join(from, ", ")))
		}
	}
	return out
}

// budget is, per resource, an upper bound on what the map's stations
// (chargers and assemblers aside) can yield within max_steps: each
// station's best protocol that the team is large enough to run, times the
// uses its max uses and cooldown allow (one use per agent per step at
// most when there is no cooldown). Partial use during a cooldown never
// yields more than waiting would, so it does not raise the bound.
func budget(cfg *sim.GameConfig, g *grid) map[string]int {
	out := map[string]int{}
	steps := cfg.MaxSteps
	count := map[string]int{}
	for _, c := range g.cells {
		count[c.name]++
	}
	names := slices.Sorted(maps.Keys(cfg.Stations))
	for _, name := range names {
		st := cfg.Stations[name]
		if name == "assembler" || name == "charger" || count[name] == 0 || st == nil {
			continue
		}
		var best [sim.NumResources]int
		cooldown := 0
		for _, p := range st.Protocols {
			if needs(p) > cfg.NumAgents {
				continue
			}
			total := 0
			for r := sim.Carbon; r <= sim.Silicon; r++ {
				total += p.Outputs[r]
			}
			if total > sumRes(best) {
				best, cooldown = p.Outputs, p.Cooldown
			}
		}
		uses := steps * max(1, cfg.NumAgents)
		if cooldown > 0 && steps > 0 {
			uses = (steps-1)/cooldown + 1
		}
		if st.MaxUses > 0 {
			uses = min(uses, st.MaxUses)
		}
		for r := sim.Carbon; r <= sim.Silicon; r++ {
			if best[r] > 0 {
				out[r.String()] += best[r] * uses * count[name]
			}
		}
	}
	for r := sim.Carbon; r <= sim.Silicon; r++ {
		if _, ok := out[r.String()]; !ok {
			out[r.String()] = 0
		}
	}
	return out
}

func sumRes(v [sim.NumResources]int) int {
	s := 0
	for r := sim.Carbon; r <= sim.Silicon; r++ {
		s += v[r]
	}
	return s
}

// maxHearts is the most hearts the budget funds with the single heart
// recipe (that the team can run) making the most of it; energy inputs are
// left out, chargers being unlimited.
func maxHearts(cfg *sim.GameConfig, b map[string]int) int {
	st := cfg.Stations["assembler"]
	if st == nil {
		return 0
	}
	best := 0
	for _, p := range st.Protocols {
		if p.Outputs[sim.Heart] <= 0 || needs(p) > cfg.NumAgents {
			continue
		}
		uses := -1
		for r := sim.Carbon; r <= sim.Silicon; r++ {
			if p.Inputs[r] > 0 {
				u := b[r.String()] / p.Inputs[r]
				if uses < 0 || u < uses {
					uses = u
				}
			}
		}
		if uses < 0 {
			continue // free hearts: no resource bound
		}
		if st.MaxUses > 0 {
			uses = min(uses, st.MaxUses)
		}
		best = max(best, uses*p.Outputs[sim.Heart])
	}
	return best
}

// needs is how many agents a protocol takes: its min_agents, and one
// agent per required vibe.
func needs(p sim.Protocol) int { return max(p.MinAgents, len(p.Vibes)) }
