package sim

import "math/bits"

// Observations: 200 tokens of [location, feature, value] per agent, built
// from an 11x11 window visited by increasing Manhattan distance.

const obsRadius = ObsWindow / 2

// unusedTokens fills the tail of an observation.
var unusedTokens = func() (b [ObsSize]byte) {
	for i := range b {
		b[i] = 0xFF
	}
	return
}()

// visitLoc is the location byte of each visit index.
var visitLoc = func() (v [256]uint8) {
	var e Env
	e.buildVisit()
	for k, c := range e.visit {
		v[k] = c.loc
	}
	return
}()

// visitIndex maps a window cell (dr+5, dc+5) to its place in visit order.
var visitIndex = func() (v [ObsWindow][16]uint8) {
	var e Env
	e.buildVisit()
	for k, c := range e.visit {
		v[c.dr+obsRadius][c.dc+obsRadius] = uint8(k)
	}
	return
}()

// occPad is the number of always-empty bits left of column 0 in each row
// of the occupancy bitset, so a window never starts at a negative bit.
const occPad = 8

// buildOcc sizes the occupancy bitset and marks every cell of the initial
// grid that holds an object other than a wall. Walls never move, so each
// cell's walls in view are precomputed instead, as a mask by visit index.
func (e *Env) buildOcc() {
	e.occWords = (int(e.width)+2*occPad+63)/64 + 1
	e.initOcc = make([]uint64, int(e.height)*e.occWords+1)
	walls := make([]uint64, len(e.initOcc))
	for r := int32(0); r < e.height; r++ {
		for c := int32(0); c < e.width; c++ {
			switch e.initGrid[r*e.width+c] {
			case cellEmpty:
			case cellWall:
				setBit(walls, e.occBit(r, c))
			default:
				setBit(e.initOcc, e.occBit(r, c))
			}
		}
	}
	e.wallMask = make([]uint64, 2*len(e.initGrid))
	for r := int32(0); r < e.height; r++ {
		for c := int32(0); c < e.width; c++ {
			cell := int(r*e.width + c)
			if e.initGrid[cell] == cellWall {
				continue // no one observes from a wall
			}
			for dr := int32(-obsRadius); dr <= obsRadius; dr++ {
				if r+dr < 0 || r+dr >= e.height {
					continue
				}
				row := windowRow(walls, e.occBit(r+dr, c-obsRadius))
				for row != 0 {
					j := bits.TrailingZeros64(row)
					row &= row - 1
					k := visitIndex[dr+obsRadius][j]
					e.wallMask[2*cell+int(k>>6)] |= 1 << (k & 63)
				}
			}
		}
	}
	e.occ = make([]uint64, len(e.initOcc))
}

// windowRow returns the ObsWindow bits of b starting at bit.
func windowRow(b []uint64, bit int) uint64 {
	wi, sh := bit>>6, uint(bit&63)
	row := b[wi] >> sh
	if sh > 64-ObsWindow {
		row |= b[wi+1] << (64 - sh)
	}
	return row & (1<<ObsWindow - 1)
}

func (e *Env) occBit(r, c int32) int { return int(r)*e.occWords*64 + int(c) + occPad }

func setBit(b []uint64, i int)   { b[i>>6] |= 1 << uint(i&63) }
func clearBit(b []uint64, i int) { b[i>>6] &^= 1 << uint(i&63) }

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
	if len(e.visit) > 128 {
		panic("sim: observation window larger than the visit mask")
	}
}

func (e *Env) computeObservations() {
	for i := range e.agents {
		e.observeAgent(i, e.obs[i*ObsSize:(i+1)*ObsSize:(i+1)*ObsSize])
	}
}

// rebuildTokens rebuilds object id's feature/value pairs. observeAgent
// calls it only when the object (or, for a station, its neighbourhood)
// changed, or when a cooling-down station's countdown moved on.
func (e *Env) rebuildTokens(id int32) {
	base := int(id) * tokStride
	e.tokDirty[id] = false
	e.tokStep[id] = int32(e.step)
	e.tokN[id] = uint8(e.buildTokens(id, e.tok[base:base+tokStride:base+tokStride]) / 2)
}

// touchAround marks the stations around (r, c) for a token rebuild: the
// protocol they show depends on the agents next to them.
func (e *Env) touchAround(r, c int32) {
	if !e.stationNear[r*e.width+c] {
		return
	}
	for _, d := range around {
		rr, cc := r+d[0], c+d[1]
		if rr < 0 || cc < 0 || rr >= e.height || cc >= e.width {
			continue
		}
		if id := e.grid[rr*e.width+cc]; id >= 0 {
			e.tokDirty[id] = true
		}
	}
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
		e.tokTimed[id] = s.cooldownEnd > uint32(e.step)
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

// observeAgent fills one agent's observation. It finds the occupied
// cells of the window from the occupancy bitset, row by row, marks them in
// a mask indexed by visit order, then emits them in that order, so empty
// cells cost nothing.
func (e *Env) observeAgent(i int, obs []byte) {
	dst := (*[ObsSize]byte)(obs)
	a := &e.agents[i]
	pct := 0
	if e.maxSteps > 0 {
		pct = int((int64(e.step)*255*2 + int64(e.maxSteps)) / (2 * int64(e.maxSteps)))
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

	w, h := e.width, e.height
	cell := int(a.row*w + a.col)
	w0, w1 := e.wallMask[2*cell], e.wallMask[2*cell+1]
	m0, m1 := w0, w1 // occupied cells by visit index: 0..63, 64..127
	slot := &e.slot
	rowWords := e.occWords
	for dr := int32(-obsRadius); dr <= obsRadius; dr++ {
		r := a.row + dr
		if r < 0 || r >= h {
			continue
		}
		bit := int(r)*rowWords*64 + int(a.col) - obsRadius + occPad
		wi, sh := bit>>6, uint(bit&63)
		row := e.occ[wi] >> sh
		if sh > 64-ObsWindow {
			row |= e.occ[wi+1] << (64 - sh)
		}
		row &= 1<<ObsWindow - 1
		rowK := &visitIndex[dr+obsRadius]
		gbase := r*w + a.col - obsRadius
		for row != 0 {
			j := int32(bits.TrailingZeros64(row))
			row &= row - 1
			k := rowK[j&15]
			slot[k] = e.grid[gbase+j]
			if k < 64 {
				m0 |= 1 << k
			} else {
				m1 |= 1 << (k - 64)
			}
		}
	}

	p := uint(9)
	const limit = ObsSize - ObsTokenSize // last token start
	dropped := 0
	for half := 0; half < 2; half++ {
		m, walls, base := m0, w0, uint8(0)
		if half == 1 {
			m, walls, base = m1, w1, 64
		}
		for m != 0 {
			low := m & -m
			k := uint8(bits.TrailingZeros64(m)) + base
			m ^= low
			loc := visitLoc[k]
			if walls&low != 0 {
				if p <= limit {
					dst[p], dst[p+1], dst[p+2] = loc, FeatTag, tagWall
					p += 3
				} else {
					dropped++
				}
				continue
			}
			id := slot[k]
			if e.tokDirty[id] || (e.tokTimed[id] && e.tokStep[id] != int32(e.step)) {
				e.rebuildTokens(id)
			}
			base := int(id) * tokStride
			t := e.tok[base : base+2*int(e.tokN[id])]
			for j := 0; j+1 < len(t); j += 2 {
				if p <= limit {
					dst[p], dst[p+1], dst[p+2] = loc, t[j], t[j+1]
					p += 3
				} else {
					dropped++
				}
			}
		}
	}
	written := p / 3
	copy(dst[p:], unusedTokens[:])
	e.gs.tokensWritten += float64(written)
	e.gs.tokensDropped += float64(dropped)
	e.gs.tokensFree += float64(ObsTokens - int(written))
}

func roundReward(r float32) byte {
	v := r * 100
	if v >= 0 {
		return byte(int32(v + 0.5))
	}
	return byte(int32(v - 0.5))
}
