package sim

// Observations: 200 tokens of [location, feature, value] per agent, built
// from an 11x11 window visited by increasing Manhattan distance.

const obsRadius = ObsWindow / 2

// buildVisit precomputes the window cells in visit order: for d = 0, 1,
// ...; dr from -d to d; dc = d-|dr|, (dr, -dc) before (dr, +dc).
func (e *Env) buildVisit() {
	e.visit = e.visit[:0]
	for d := int32(0); d <= 2*obsRadius; d++ {
		for dr := -d; dr <= d; dr++ {
			adr := dr
			if adr < 0 {
				adr = -adr
			}
			dc := d - adr
			if adr > obsRadius || dc > obsRadius {
				continue
			}
			e.visit = append(e.visit, visitCell{dr: dr, dc: -dc, loc: uint8((dr+obsRadius)<<4 | (-dc + obsRadius))})
			if dc != 0 {
				e.visit = append(e.visit, visitCell{dr: dr, dc: dc, loc: uint8((dr+obsRadius)<<4 | (dc + obsRadius))})
			}
		}
	}
	e.visitOff = make([]int32, len(e.visit))
	for k, v := range e.visit {
		e.visitOff[k] = v.dr*e.width + v.dc
	}
}

func (e *Env) computeObservations() {
	e.epoch++
	for i := range e.agents {
		e.observeAgent(i, e.obs[i*ObsSize:(i+1)*ObsSize:(i+1)*ObsSize])
	}
}

// objTokens returns the feature/value pairs of object id, rebuilding them
// at most once per observation pass.
func (e *Env) objTokens(id int32) []byte {
	base := int(id) * tokStride
	if e.tokStamp[id] != e.epoch {
		e.tokStamp[id] = e.epoch
		e.tokN[id] = uint8(e.buildTokens(id, e.tok[base:base+tokStride:base+tokStride]) / 2)
	}
	return e.tok[base : base+2*int(e.tokN[id])]
}

// buildTokens writes the object's feature/value pairs into b and returns
// the number of bytes written.
func (e *Env) buildTokens(id int32, b []byte) int {
	o := e.objs[id]
	n := 0
	put := func(f, v byte) {
		b[n] = f
		b[n+1] = v
		n += 2
	}
	switch o.kind {
	case kindAgent:
		a := &e.agents[o.idx]
		put(FeatGroup, 0)
		put(FeatFrozen, 0)
		if a.vibe != VibeDefault {
			put(FeatVibe, byte(a.vibe))
		}
		for r, v := range a.inv {
			if v > 0 {
				put(byte(FeatInventory+r), byte(v))
			}
		}
		put(FeatTag, tagAgent)
	case kindChest:
		c := &e.chests[o.idx]
		for r, v := range c.inv {
			if v > 0 {
				put(byte(FeatInventory+r), byte(v))
			}
		}
		put(FeatTag, tagChest)
	case kindStation:
		s := &e.stations[o.idx]
		if now := uint32(e.step); s.cooldownEnd > now {
			put(FeatCooldownRemaining, byte(min(s.cooldownEnd-now, 255)))
		}
		if s.clipped {
			put(FeatClipped, 1)
		}
		if s.typ.maxUses > 0 {
			put(FeatRemainingUses, byte(min(max(s.typ.maxUses-s.uses, 0), 255)))
		}
		if p := e.currentProtocol(s); p != nil {
			n += copy(b[n:], p.tokens)
		}
		put(FeatTag, s.typ.tag)
	}
	return n
}

// observeAgent fills one agent's observation.
func (e *Env) observeAgent(i int, dst []byte) {
	a := &e.agents[i]
	pct := 0
	if e.maxSteps > 0 {
		pct = (e.step*255*2 + e.maxSteps) / (2 * e.maxSteps)
		if pct > 255 {
			pct = 255
		}
	}
	// last_reward is read before this step's rewards are added: always 0
	// here, as in the engine.
	lr := roundReward(e.rewards[i])
	dst[0], dst[1], dst[2] = ObsCenter, FeatEpisodeCompletion, byte(pct)
	dst[3], dst[4], dst[5] = ObsCenter, FeatLastAction, byte(a.lastAction)
	dst[6], dst[7], dst[8] = ObsCenter, FeatLastReward, lr
	p := 9
	const limit = ObsSize
	dropped := 0
	w, h := e.width, e.height
	grid := e.grid
	inside := a.row >= obsRadius && a.col >= obsRadius && a.row+obsRadius < h && a.col+obsRadius < w
	centre := a.row*w + a.col
	for k := range e.visit {
		var id int32
		if inside {
			id = grid[centre+e.visitOff[k]]
		} else {
			v := &e.visit[k]
			r, c := a.row+v.dr, a.col+v.dc
			if r < 0 || c < 0 || r >= h || c >= w {
				continue
			}
			id = grid[r*w+c]
		}
		if id == cellEmpty {
			continue
		}
		loc := e.visit[k].loc
		if id == cellWall {
			if p < limit {
				dst[p], dst[p+1], dst[p+2] = loc, FeatTag, tagWall
				p += 3
			} else {
				dropped++
			}
			continue
		}
		t := e.objTokens(id)
		for j := 0; j < len(t); j += 2 {
			if p < limit {
				dst[p], dst[p+1], dst[p+2] = loc, t[j], t[j+1]
				p += 3
			} else {
				dropped++
			}
		}
	}
	written := p / 3
	for j := p; j < limit; j++ {
		dst[j] = 0xFF
	}
	e.gs.tokensWritten += float64(written)
	e.gs.tokensDropped += float64(dropped)
	e.gs.tokensFree += float64(ObsTokens - written)
}

func roundReward(r float32) byte {
	v := r * 100
	if v >= 0 {
		return byte(int32(v + 0.5))
	}
	return byte(int32(v - 0.5))
}
