package policy

import "github.com/dafscript/dafscript/sim"

// What each baseline agent remembers: a map in its own frame, kept by
// dead reckoning, and the stations it has seen.

// cellUnknown marks a cell of the map never seen.
const cellUnknown uint8 = 255

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
	p          *baselineParams // the controller's
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

// observe brings the memory up to date with this step's observation: a
// new episode starts afresh, otherwise last step's action is accounted
// for; then what is in view is written into the map.
func (s *agentState) observe(v *view) {
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
}

// countTeam keeps the estimate of the team's size: 1 + the most agents
// seen at once.
func (s *agentState) countTeam(v *view) {
	seen := 1
	for i := range v.objs {
		if v.objs[i].kind == kindAgent {
			seen++
		}
	}
	s.teamSize = max(s.teamSize, seen)
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
