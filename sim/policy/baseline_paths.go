package policy

import "github.com/dafscript/dafscript/sim"

// Path-finding over an agent's remembered map: one BFS a step, approaches
// to stations, exploration of the frontier and keeping out of the way.

// Moves in action order: north, south, west, east.
var moveDR = [5]int{0, -1, 1, 0, 0}
var moveDC = [5]int{0, 0, 0, -1, 1}

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

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
