package policy

import (
	"github.com/dafscript/dafscript/sim"
)

func init() {
	Register("baseline", "scripted agent: recharges, gathers, assembles hearts and delivers them, from its observations only", func(s Spec) (Policy, error) {
		if err := noArgs(s); err != nil {
			return nil, err
		}
		return simple{name: "baseline", make: func(n int) Controller { return newBaselineController(n) }}, nil
	})
}

// Thresholds of the baseline's strategy.
const (
	rechargeBelow   = 35  // start recharging under this energy
	rechargeUntil   = 85  // stop recharging at this energy
	scarceBonus     = 40  // prefer single-use extractors by this many steps
	rendezvousWait  = 90  // steps to wait at a single-use extractor for more agents
	rendezvousAgent = 4   // stop waiting when this many agents are adjacent
	failLimit       = 3   // failed uses of a station before it is avoided for a while
	failBackoff     = 15  // steps a failing station is avoided
	initialSide     = 64  // side of the first map, grown as the agent explores
	groupWait       = 400 // steps a group member waits at the assembler for the others
	batchCargo      = 40  // cargo a batch may fill (the default limit is 100)
	maxBatch        = 10  // hearts' worth per trip at most
	batchPatience   = 15  // steps an agent that can already make a heart spends on its batch
	probeDistance   = 20  // an assembler this close is visited to read its recipe rather than wait
	endMargin       = 3   // steps kept in hand to deliver hearts before the episode ends
	maxGroup        = 4   // the largest heart protocol takes four agents
)

const cellUnknown uint8 = 255

// defaultRecipe is the cheapest heart protocol of GAME.md; an agent
// replaces it with what the assembler shows when it stands there alone
// vibing heart_a.
var defaultRecipe = [sim.NumResources]int{sim.Carbon: 10, sim.Oxygen: 10, sim.Germanium: 2, sim.Silicon: 30}

var (
	vibeHeartA = mustVibe("heart_a")
	vibeOf     = [sim.NumResources]int{
		sim.Carbon:    mustVibe("carbon_a"),
		sim.Oxygen:    mustVibe("oxygen_a"),
		sim.Germanium: mustVibe("germanium_a"),
		sim.Silicon:   mustVibe("silicon_a"),
	}
)

func mustVibe(name string) int {
	v, ok := sim.VibeID(name)
	if !ok {
		panic("policy: vibe " + name + " missing from vibes.txt")
	}
	return v
}

// Moves in action order: north, south, west, east.
var moveDR = [5]int{0, -1, 1, 0, 0}
var moveDC = [5]int{0, 0, 0, -1, 1}

// station is what an agent remembers of a station it has seen.
type station struct {
	r, c      int // in the agent's frame
	kind      uint8
	readyAt   int // step at which its cooldown ends
	uses      int // remaining uses, -1 when unlimited
	clipped   bool
	stock     [sim.NumResources]int // a chest's content when last seen
	fails     int
	failUntil int
}

func (s *station) usable(step int) bool {
	return s.uses != 0 && !s.clipped && s.failUntil <= step
}

// agentState is one slot's memory: a map in its own frame (origin where it
// started, position by dead reckoning), the stations it has seen and the
// current plan.
type agentState struct {
	rng        sim.RNG
	started    bool
	step       int
	completion int // the episode completion token last seen

	side       int
	grid       []uint8 // kind per cell, cellUnknown if never seen
	stationIdx []int32 // 1 + index into stations, 0 if none
	stations   []station
	r, c       int
	// originR, originC: the spawn cell in the frame (it moves when the
	// map grows).
	originR, originC int
	minR, maxR       int
	minC, maxC       int

	recharging bool
	recipe     [sim.NumResources]int
	pending    int  // action sent last step
	pendingUse bool // it was a move into an object (a use, not a move)
	pendingSt  int  // station it used, -1 if none
	blocked    int  // consecutive failed plain moves
	waitSt     int  // station the agent is waiting at, -1 if none
	waitSince  int
	// Group assembly: when a resource runs out for good and the agents
	// holding it cannot all make hearts alone, they pool it in one
	// multi-agent heart protocol of groupK agents.
	groupK       int
	groupRes     sim.Resource
	groupChecked [sim.NumResources]bool
	// batch is how many hearts' worth the agent gathers per trip: more
	// than one when the recipe is small against the cargo limit.
	batch int
	// heartFull: an assembler use failed while the agent held a heart, so
	// it can hold no more and must deliver first.
	heartFull bool
	// probed: the agent has stood at an assembler vibing heart_a (alone,
	// it read the recipe shown, or saw that none is shown).
	probed bool
	// teamSize estimates the number of agents: 1 + the most seen at once.
	teamSize int
}

type baselineController struct {
	slots []agentState
	v     view
	// BFS scratch shared by all slots (they are served one at a time).
	dist  []int32
	first []uint8
	stamp []uint32
	gen   uint32
	queue []int32
	occ   []uint32 // stamp of cells holding a visible agent
	ogen  uint32
	// frontierCell is the nearest reachable cell next to unknown land,
	// -1 if none (set by bfs).
	frontierCell int
}

func newBaselineController(n int) *baselineController {
	c := &baselineController{slots: make([]agentState, n)}
	for i := range c.slots {
		c.Reset(i, sim.DeriveSeed(0, "baseline", uint64(i)))
	}
	return c
}

func (c *baselineController) Reset(slot int, seed uint64) {
	if slot < 0 || slot >= len(c.slots) {
		return
	}
	s := &c.slots[slot]
	s.rng.Seed(seed)
	s.started = false
}

func (c *baselineController) Close() error { return nil }

func (c *baselineController) Act(obs []uint8, actions []int32) error {
	if err := checkBuffers(len(c.slots), obs, actions); err != nil {
		return err
	}
	for i := range c.slots {
		c.v.decode(obs[i*sim.ObsSize : (i+1)*sim.ObsSize])
		actions[i] = int32(c.act(&c.slots[i], &c.v))
	}
	return nil
}

// start clears a slot for a new episode, keeping its buffers.
func (s *agentState) start() {
	s.started = true
	s.step = 0
	if s.side == 0 {
		s.side = initialSide
		s.grid = make([]uint8, s.side*s.side)
		s.stationIdx = make([]int32, s.side*s.side)
	}
	for i := range s.grid {
		s.grid[i] = cellUnknown
		s.stationIdx[i] = 0
	}
	s.stations = s.stations[:0]
	s.r, s.c = s.side/2, s.side/2
	s.originR, s.originC = s.r, s.c
	s.minR, s.maxR, s.minC, s.maxC = s.r, s.r, s.c, s.c
	s.recharging = false
	s.recipe = defaultRecipe
	s.pending, s.pendingUse, s.pendingSt = 0, false, -1
	s.blocked = 0
	s.waitSt = -1
	s.groupK = 0
	s.teamSize = 1
	s.heartFull = false
	s.probed = false
	s.setBatch()
	s.groupChecked = [sim.NumResources]bool{}
}

// grow doubles the map, keeping the agent's surroundings in the middle.
func (s *agentState) grow() {
	old, oldSide := s.grid, s.side
	oldIdx := s.stationIdx
	side := oldSide * 2
	off := oldSide / 2
	s.grid = make([]uint8, side*side)
	s.stationIdx = make([]int32, side*side)
	for i := range s.grid {
		s.grid[i] = cellUnknown
	}
	for r := 0; r < oldSide; r++ {
		copy(s.grid[(r+off)*side+off:], old[r*oldSide:(r+1)*oldSide])
		copy(s.stationIdx[(r+off)*side+off:], oldIdx[r*oldSide:(r+1)*oldSide])
	}
	for i := range s.stations {
		s.stations[i].r += off
		s.stations[i].c += off
	}
	s.side = side
	s.r += off
	s.c += off
	s.originR += off
	s.originC += off
	s.minR += off
	s.maxR += off
	s.minC += off
	s.maxC += off
}

func (s *agentState) cell(r, c int) uint8 {
	if r < 0 || c < 0 || r >= s.side || c >= s.side {
		return cellUnknown
	}
	return s.grid[r*s.side+c]
}

func (s *agentState) stationAt(r, c int) int {
	if r < 0 || c < 0 || r >= s.side || c >= s.side {
		return -1
	}
	return int(s.stationIdx[r*s.side+c]) - 1
}

func isStatic(k uint8) bool { return k != kindNone && k != kindAgent && k != cellUnknown }

// mismatches counts observed walls and stations that disagree with the map
// if the agent stood at (r, c).
func (s *agentState) mismatches(v *view, r, c int) int {
	n := 0
	for i := range v.objs {
		o := &v.objs[i]
		if !isStatic(o.kind) {
			continue
		}
		k := s.cell(r+o.dr, c+o.dc)
		if k != cellUnknown && k != o.kind {
			n++
		}
	}
	return n
}

// track applies last step's action to the agent's position and records
// the outcome of a use.
func (s *agentState) track(v *view) {
	a := s.pending
	ok := a != sim.ActionNoop && v.lastAction == a
	if a >= sim.ActionMoveNorth && a <= sim.ActionMoveEast {
		if s.pendingSt >= 0 {
			st := &s.stations[s.pendingSt]
			if !ok && st.kind == kindAssembler && v.inv[sim.Heart] > 0 {
				s.heartFull = true
			}
			if ok {
				st.fails = 0
			} else if st.fails++; st.fails >= failLimit {
				st.fails = 0
				st.failUntil = s.step + failBackoff
			}
		}
		moved := ok && !s.pendingUse
		if ok && s.pendingSt < 0 {
			// A move that succeeded may have been a bump into an agent
			// that stepped in first (or the reverse): trust whichever
			// position agrees better with what we see.
			nr, nc := s.r+moveDR[a], s.c+moveDC[a]
			mNew, mOld := s.mismatches(v, nr, nc), s.mismatches(v, s.r, s.c)
			if mNew != mOld {
				moved = mNew < mOld
			}
		}
		if moved {
			s.r += moveDR[a]
			s.c += moveDC[a]
		}
		if !ok && !s.pendingUse {
			s.blocked++
		} else {
			s.blocked = 0
		}
	}
	s.pending, s.pendingUse, s.pendingSt = sim.ActionNoop, false, -1
}

// see writes the observation into the map.
func (s *agentState) see(v *view) {
	for s.r-obsHalf-1 < 0 || s.c-obsHalf-1 < 0 || s.r+obsHalf+1 >= s.side || s.c+obsHalf+1 >= s.side {
		s.grow()
	}
	s.minR = min(s.minR, s.r-obsHalf)
	s.maxR = max(s.maxR, s.r+obsHalf)
	s.minC = min(s.minC, s.c-obsHalf)
	s.maxC = max(s.maxC, s.c+obsHalf)
	for dr := -obsHalf; dr <= obsHalf; dr++ {
		row := (s.r + dr) * s.side
		for dc := -obsHalf; dc <= obsHalf; dc++ {
			if s.stationIdx[row+s.c+dc] == 0 {
				s.grid[row+s.c+dc] = kindNone
			}
		}
	}
	for i := range v.objs {
		o := &v.objs[i]
		r, c := s.r+o.dr, s.c+o.dc
		idx := r*s.side + c
		switch o.kind {
		case kindNone, kindAgent:
			continue
		case kindWall:
			s.grid[idx] = kindWall
			continue
		}
		si := int(s.stationIdx[idx]) - 1
		if si < 0 || s.stations[si].kind != o.kind {
			s.stations = append(s.stations, station{r: r, c: c, kind: o.kind})
			si = len(s.stations) - 1
			s.stationIdx[idx] = int32(si + 1)
		}
		s.grid[idx] = o.kind
		st := &s.stations[si]
		st.readyAt = s.step + o.cooldown
		st.uses = o.uses
		st.clipped = o.clipped
		if o.kind == kindChest {
			st.stock = o.inv
		}
	}
}

// learnRecipe reads the heart recipe off an adjacent assembler when the
// agent is the only one there vibing heart_a.
func (s *agentState) learnRecipe(v *view) {
	if v.vibe != vibeHeartA {
		return
	}
	for i := range v.objs {
		o := &v.objs[i]
		if o.kind != kindAssembler || abs(o.dr)+abs(o.dc) != 1 {
			continue
		}
		// One look is enough: alone, the agent learns the recipe (or
		// that there is none for one agent); in company it keeps the
		// rule book's.
		s.probed = true
		if o.hasProto && o.protoOut[sim.Heart] > 0 && heartAAround(v, o.dr, o.dc) == 1 {
			for _, r := range cargo {
				s.recipe[r] = o.protoIn[r]
			}
			s.setBatch()
		}
	}
}

// setBatch sizes the gathering trips to the recipe.
func (s *agentState) setBatch() {
	sum := 0
	for _, r := range cargo {
		sum += s.recipe[r]
	}
	s.batch = 1
	if sum > 0 {
		s.batch = min(max(batchCargo/sum, 1), maxBatch)
	}
}

// groupCost is what heart protocol k-1 (k agents vibing heart_a) asks of
// resource r, per GAME.md: the single-agent amount plus half of it per
// extra agent.
func groupCost(r sim.Resource, k int) int { return defaultRecipe[r] + (k-1)*defaultRecipe[r]/2 }

// planGroup decides, once per resource, whether to assemble in a group:
// when every extractor of r is spent, the agents in view that hold r
// (the observer included) pool it in the largest heart protocol they can
// pay for, if that makes more hearts than they would make alone.
func (s *agentState) planGroup(v *view) {
	if s.groupK > 0 || s.recipe != defaultRecipe {
		return
	}
	for _, r := range cargo {
		if s.groupChecked[r] || v.inv[r] == 0 {
			continue
		}
		seen, spent := false, true
		for i := range s.stations {
			st := &s.stations[i]
			if st.kind == extractorOf[r] {
				seen = true
				if st.uses != 0 {
					spent = false
				}
			}
		}
		if !seen || !spent {
			continue
		}
		s.groupChecked[r] = true
		holders, total := 1, v.inv[r]
		for i := range v.objs {
			if o := &v.objs[i]; o.kind == kindAgent && o.inv[r] > 0 {
				holders++
				total += o.inv[r]
			}
		}
		solo := min(total/s.recipe[r], holders)
		for k := min(holders, maxGroup); k >= 2; k-- {
			if groupCost(r, k) <= total && k > solo {
				s.groupK, s.groupRes = k, r
				return
			}
		}
	}
}

// heartAAround counts the agents vibing heart_a on the 8 cells around
// (dr, dc), the observer included.
func heartAAround(v *view, dr, dc int) int {
	n := 0
	if max(abs(dr), abs(dc)) == 1 && v.vibe == vibeHeartA {
		n++
	}
	for i := range v.objs {
		o := &v.objs[i]
		if o.kind == kindAgent && o.vibe == vibeHeartA && max(abs(o.dr-dr), abs(o.dc-dc)) == 1 {
			n++
		}
	}
	return n
}

// agentsAround counts agents on the 8 cells around (dr, dc), the observer
// included.
func agentsAround(v *view, dr, dc int) int {
	around := 0
	if max(abs(dr), abs(dc)) == 1 {
		around++
	}
	for i := range v.objs {
		if o := &v.objs[i]; o.kind == kindAgent && max(abs(o.dr-dr), abs(o.dc-dc)) == 1 {
			around++
		}
	}
	return around
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// act decides one slot's action from its observation.
func (c *baselineController) act(s *agentState, v *view) int {
	if s.started && v.completion < s.completion {
		// The episode's clock went back: the environment started a new
		// episode in this slot without a Reset.
		s.started = false
	}
	s.completion = v.completion
	if !s.started {
		s.start()
	} else {
		s.step++
		s.track(v)
	}
	s.see(v)
	s.learnRecipe(v)
	if s.groupK > 0 && v.inv[s.groupRes] == 0 {
		s.groupK = 0 // the group's heart is made (or the share given away)
	}
	s.planGroup(v)
	seen := 1
	for i := range v.objs {
		if v.objs[i].kind == kindAgent {
			seen++
		}
	}
	s.teamSize = max(s.teamSize, seen)
	c.markAgents(s, v)
	c.bfs(s)
	a := c.decide(s, v)
	s.pending = a
	if a >= sim.ActionMoveNorth && a <= sim.ActionMoveEast {
		r, cc := s.r+moveDR[a], s.c+moveDC[a]
		k := s.cell(r, cc)
		s.pendingUse = isStatic(k) || c.occupied(s, r, cc)
		s.pendingSt = s.stationAt(r, cc)
	}
	return a
}

func (c *baselineController) markAgents(s *agentState, v *view) {
	if len(c.occ) < len(s.grid) {
		c.occ = make([]uint32, len(s.grid))
		c.ogen = 0
	}
	c.ogen++
	if c.ogen == 0 {
		clear(c.occ)
		c.ogen = 1
	}
	for i := range v.objs {
		o := &v.objs[i]
		if o.kind == kindAgent {
			c.occ[(s.r+o.dr)*s.side+s.c+o.dc] = c.ogen
		}
	}
}

func (c *baselineController) occupied(s *agentState, r, cc int) bool {
	return c.occ[r*s.side+cc] == c.ogen
}

// bfs computes, over known empty cells free of visible agents, the
// distance from the agent to every reachable cell and the first move of a
// shortest path there.
func (c *baselineController) bfs(s *agentState) {
	n := len(s.grid)
	if len(c.dist) < n {
		c.dist = make([]int32, n)
		c.first = make([]uint8, n)
		c.stamp = make([]uint32, n)
		c.queue = make([]int32, 0, n)
		c.gen = 0
	}
	c.gen++
	if c.gen == 0 {
		clear(c.stamp)
		c.gen = 1
	}
	side := s.side
	start := s.r*side + s.c
	c.stamp[start] = c.gen
	c.dist[start] = 0
	c.first[start] = 0
	q := append(c.queue[:0], int32(start))
	c.frontierCell = -1
	// The map keeps a margin of unknown cells around everything seen, so
	// neighbours of reachable cells are always inside it, and cells
	// outside the seen box are unknown.
	off := [5]int{0, -side, side, -1, 1}
	grid, stamp, occ, gen, ogen := s.grid, c.stamp, c.occ, c.gen, c.ogen
	for h := 0; h < len(q); h++ {
		cur := int(q[h])
		d := c.dist[cur] + 1
		f := c.first[cur]
		for a := sim.ActionMoveNorth; a <= sim.ActionMoveEast; a++ {
			ni := cur + off[a]
			g := grid[ni]
			if g != kindNone {
				if g == cellUnknown && c.frontierCell < 0 {
					c.frontierCell = cur // next to land never seen
				}
				continue
			}
			if stamp[ni] == gen || occ[ni] == ogen {
				continue
			}
			stamp[ni] = gen
			c.dist[ni] = d
			if cur == start {
				c.first[ni] = uint8(a)
			} else {
				c.first[ni] = f
			}
			q = append(q, int32(ni))
		}
	}
	c.queue = q
}

// distTo returns the BFS distance to a cell, -1 if unreachable.
func (c *baselineController) distTo(s *agentState, r, cc int) int {
	if r < 0 || cc < 0 || r >= s.side || cc >= s.side {
		return -1
	}
	i := r*s.side + cc
	if c.stamp[i] != c.gen {
		return -1
	}
	return int(c.dist[i])
}

// approach returns the distance to the nearest cell from which the agent
// can use the station (a side neighbour) and that cell, or -1.
func (c *baselineController) approach(s *agentState, st *station) (d, r, cc int) {
	d = -1
	for a := sim.ActionMoveNorth; a <= sim.ActionMoveEast; a++ {
		nr, nc := st.r+moveDR[a], st.c+moveDC[a]
		if nd := c.distTo(s, nr, nc); nd >= 0 && (d < 0 || nd < d) {
			d, r, cc = nd, nr, nc
		}
	}
	return d, r, cc
}

// moveTo returns the first move toward a reachable cell.
func (c *baselineController) moveTo(s *agentState, r, cc int) int {
	return int(c.first[r*s.side+cc])
}

// goal is what the agent is heading for.
type goal struct {
	st   int // station index, or goalExplore, goalIdle
	vibe int
}

const (
	goalExplore = -1
	goalIdle    = -2
)

// decide picks the action for this step.
func (c *baselineController) decide(s *agentState, v *view) int {
	if s.blocked >= 2 {
		// Two failed moves in a row: another agent is in the way; step
		// aside at random to break the tie.
		s.blocked = 0
		if a := c.randomStep(s); a != 0 {
			return a
		}
	}
	if v.energy < rechargeBelow {
		s.recharging = true
	} else if v.energy >= rechargeUntil {
		s.recharging = false
	}
	g := c.choose(s, v)
	switch g.st {
	case goalExplore:
		s.waitSt = -1
		return c.wander(s)
	case goalIdle:
		s.waitSt = -1
		return c.idle(s)
	}
	return c.pursue(s, v, g)
}

// choose picks the next station to use, or explores.
func (c *baselineController) choose(s *agentState, v *view) goal {
	canMake := s.groupK == 0
	for _, r := range cargo {
		if v.inv[r] < s.recipe[r] {
			canMake = false
		}
	}
	assemble := func() goal {
		if i, _ := c.nearest(s, kindAssembler, func(st *station) bool { return !st.clipped }); i >= 0 {
			return goal{st: i, vibe: vibeHeartA}
		}
		return goal{st: goalExplore}
	}
	if v.inv[sim.Heart] > 0 && canMake && !s.heartFull && !s.recharging && !c.endNear(s, v) {
		return assemble() // one more before the walk to the chest
	}
	if v.inv[sim.Heart] > 0 {
		if i, _ := c.nearest(s, kindChest, func(*station) bool { return true }); i >= 0 {
			return goal{st: i, vibe: sim.VibeDefault}
		}
		return goal{st: goalExplore}
	}
	if s.recharging {
		if i, _ := c.nearestTimed(s, kindCharger); i >= 0 {
			return goal{st: i, vibe: v.vibe}
		}
		return goal{st: goalExplore}
	}
	var need [sim.NumResources]int
	missing := false
	for _, r := range cargo {
		if s.groupK > 0 && r == s.groupRes {
			continue // the group pools what its members hold
		}
		want := s.recipe[r] * s.batch
		if s.groupK > 0 {
			// A member brings its share of the group's recipe.
			want = (groupCost(r, s.groupK) + s.groupK - 1) / s.groupK
		}
		if n := want - v.inv[r]; n > 0 {
			need[r] = n
			missing = true
		}
	}
	if !missing {
		return assemble()
	}
	best, bestCost, bestVibe := -1, 0, 0
	stuck := false
	for _, r := range cargo {
		if need[r] == 0 {
			continue
		}
		found := false
		for i := range s.stations {
			st := &s.stations[i]
			var cost int
			switch {
			case st.kind == extractorOf[r] && st.usable(s.step):
				d, _, _ := c.approach(s, st)
				if d < 0 {
					continue
				}
				cost = max(d, st.readyAt-s.step)
				if st.uses == 1 {
					cost -= scarceBonus
				}
			case st.kind == kindChest && st.stock[r] >= need[r] && st.failUntil <= s.step:
				d, _, _ := c.approach(s, st)
				if d < 0 {
					continue
				}
				cost = d
			default:
				continue
			}
			found = true
			if best < 0 || cost < bestCost {
				best, bestCost, bestVibe = i, cost, vibeOf[r]
			}
		}
		if !found {
			stuck = true
		}
	}
	if !s.probed && s.groupK == 0 && !stuck && best >= 0 && bestCost > batchPatience {
		// Rather than wait, read the recipe off the assembler: it may
		// ask for less than the rule book's.
		if i, d := c.nearest(s, kindAssembler, func(st *station) bool { return !st.clipped }); i >= 0 && d <= probeDistance {
			return goal{st: i, vibe: vibeHeartA}
		}
	}
	if canMake && (stuck || best < 0 || bestCost > batchPatience) {
		// Enough for a heart and the rest of the batch is far or
		// cooling down: make what we can now.
		return assemble()
	}
	if stuck && c.hasFrontier(s) {
		// Look for what is missing before spending anything else.
		return goal{st: goalExplore}
	}
	if stuck && s.groupK > 0 {
		// What the member lacks may be in the others' hands: meet them.
		return assemble()
	}
	if stuck {
		// Some resource is out of reach for good: give what we carry to
		// the chest so that others can finish a heart with it.
		if v.inv[sim.Carbon]+v.inv[sim.Oxygen]+v.inv[sim.Germanium]+v.inv[sim.Silicon] > 0 {
			if i, _ := c.nearest(s, kindChest, func(*station) bool { return true }); i >= 0 {
				return goal{st: i, vibe: sim.VibeDefault}
			}
		}
		return goal{st: goalIdle}
	}
	if best < 0 {
		return goal{st: goalExplore}
	}
	return goal{st: best, vibe: bestVibe}
}

// endNear reports whether the episode ends before the agent could make
// another heart and still reach the chest: it estimates the episode's
// length from the completion token (step/max_steps*255).
func (c *baselineController) endNear(s *agentState, v *view) bool {
	if v.completion == 0 {
		return false
	}
	left := s.step * (255 - v.completion) / v.completion
	_, d := c.nearest(s, kindChest, func(*station) bool { return true })
	return left <= d+endMargin
}

// nearest returns the reachable station of a kind with the shortest
// approach that ok accepts.
func (c *baselineController) nearest(s *agentState, kind uint8, ok func(*station) bool) (int, int) {
	best, bestD := -1, 0
	for i := range s.stations {
		st := &s.stations[i]
		if st.kind != kind || !ok(st) {
			continue
		}
		if d, _, _ := c.approach(s, st); d >= 0 && (best < 0 || d < bestD) {
			best, bestD = i, d
		}
	}
	return best, bestD
}

// nearestTimed is nearest for stations with cooldowns: the cost is the
// later of the arrival and the end of the cooldown.
func (c *baselineController) nearestTimed(s *agentState, kind uint8) (int, int) {
	best, bestCost := -1, 0
	for i := range s.stations {
		st := &s.stations[i]
		if st.kind != kind || !st.usable(s.step) {
			continue
		}
		d, _, _ := c.approach(s, st)
		if d < 0 {
			continue
		}
		if cost := max(d, st.readyAt-s.step); best < 0 || cost < bestCost {
			best, bestCost = i, cost
		}
	}
	return best, bestCost
}

// pursue walks to the goal station and uses it when it can.
func (c *baselineController) pursue(s *agentState, v *view, g goal) int {
	st := &s.stations[g.st]
	dr, dc := st.r-s.r, st.c-s.c
	if abs(dr)+abs(dc) != 1 {
		s.waitSt = -1
		d, r, cc := c.approach(s, st)
		if d <= 0 {
			return c.wander(s)
		}
		return c.moveTo(s, r, cc)
	}
	if v.vibe != g.vibe {
		return sim.VibeAction(g.vibe)
	}
	if s.waitSt != g.st {
		s.waitSt, s.waitSince = g.st, s.step
	}
	if st.readyAt > s.step {
		return sim.ActionNoop // cooling down: wait here
	}
	switch st.kind {
	case kindGermanium, kindCarbon, kindOxygen, kindSilicon:
		if st.uses == 1 {
			// A last use pays more with more agents around: wait a
			// little for the others.
			around := agentsAround(v, dr, dc)
			if around < min(rendezvousAgent, s.teamSize) && s.step-s.waitSince < rendezvousWait {
				return sim.ActionNoop
			}
		}
		if st.kind == kindSilicon && v.energy < 22 {
			s.recharging = true
			return sim.ActionNoop
		}
	case kindAssembler:
		o := v.at(dr, dc)
		if o == nil || !o.hasProto {
			return sim.ActionNoop // no protocol selected yet: wait for partners
		}
		var pool [sim.NumResources]int
		pool = v.inv
		for i := range v.objs {
			a := &v.objs[i]
			if a.kind == kindAgent && max(abs(a.dr-dr), abs(a.dc-dc)) == 1 {
				for r := range pool {
					pool[r] += a.inv[r]
				}
			}
		}
		if s.groupK > 0 && heartAAround(v, dr, dc) < s.groupK && s.step-s.waitSince < groupWait {
			return sim.ActionNoop // wait for the whole group
		}
		for _, r := range cargo {
			if pool[r] < o.protoIn[r] {
				if heartAAround(v, dr, dc) == 1 && s.groupK == 0 {
					// Alone and short: the recipe was learnt above; go
					// gather the rest.
					return c.wander(s)
				}
				return sim.ActionNoop
			}
		}
	}
	return directionTo(dr, dc)
}

func directionTo(dr, dc int) int {
	switch {
	case dr < 0:
		return sim.ActionMoveNorth
	case dr > 0:
		return sim.ActionMoveSouth
	case dc < 0:
		return sim.ActionMoveWest
	}
	return sim.ActionMoveEast
}

// hasFrontier reports whether a reachable known cell borders unknown land.
func (c *baselineController) hasFrontier(s *agentState) bool {
	_, ok := c.frontier(s)
	return ok
}

// frontier returns the nearest reachable cell next to an unknown one, as
// the last BFS found it.
func (c *baselineController) frontier(s *agentState) (int, bool) {
	return c.frontierCell, c.frontierCell >= 0
}

// wander explores the nearest frontier, or idles when there is none.
func (c *baselineController) wander(s *agentState) int {
	if i, ok := c.frontier(s); ok {
		if a := int(c.first[i]); a != 0 {
			return a
		}
		// We stand on the frontier: step into the unknown.
		r, cc := i/s.side, i%s.side
		for a := sim.ActionMoveNorth; a <= sim.ActionMoveEast; a++ {
			if s.cell(r+moveDR[a], cc+moveDC[a]) == cellUnknown {
				return a
			}
		}
	}
	return c.idle(s)
}

// idle keeps out of the way: off the cells around stations, then still.
func (c *baselineController) idle(s *agentState) int {
	if !c.nearStation(s, s.r, s.c) {
		return sim.ActionNoop
	}
	side := s.side
	for _, ci := range c.queue {
		i := int(ci)
		if !c.nearStation(s, i/side, i%side) {
			return int(c.first[i])
		}
	}
	return sim.ActionNoop
}

func (c *baselineController) nearStation(s *agentState, r, cc int) bool {
	for dr := -1; dr <= 1; dr++ {
		for dc := -1; dc <= 1; dc++ {
			if k := s.cell(r+dr, cc+dc); k != kindWall && isStatic(k) {
				return true
			}
		}
	}
	return false
}

// randomStep returns a random move into a free known cell, or 0.
func (c *baselineController) randomStep(s *agentState) int {
	var opts [4]int
	n := 0
	for a := sim.ActionMoveNorth; a <= sim.ActionMoveEast; a++ {
		r, cc := s.r+moveDR[a], s.c+moveDC[a]
		if s.cell(r, cc) == kindNone && !c.occupied(s, r, cc) {
			opts[n] = a
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return opts[s.rng.Intn(n)]
}
