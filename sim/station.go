package sim

import "math"

// The 8 cells around a station in the engine's order: NW, N, NE, W, E, SW, S, SE.
var around = [8][2]int32{{-1, -1}, {-1, 0}, {-1, 1}, {0, -1}, {0, 1}, {1, -1}, {1, 0}, {1, 1}}

// neighbours writes the agents around (row, col) into buf in NW..SE order,
// the acting agent (if >= 0) first, and returns how many.
func (e *Env) neighbours(row, col int32, actor int, buf *[8]int32) int {
	n := 0
	if actor >= 0 {
		buf[0] = int32(actor)
		n = 1
	}
	for _, d := range around {
		r, c := row+d[0], col+d[1]
		if r < 0 || c < 0 || r >= e.height || c >= e.width {
			continue
		}
		id := e.grid[r*e.width+c]
		if id < 0 || e.objs[id].kind != kindAgent {
			continue
		}
		ai := e.objs[id].idx
		if int(ai) == actor {
			continue
		}
		buf[n] = ai
		n++
	}
	return n
}

// currentProtocol returns the protocol the station's neighbours select:
// an exact match of the local vibe key first, then the vibe-less ones; in
// each, the first (highest) min_agents not above the number of agents.
func (e *Env) currentProtocol(s *station) *compiledProto {
	if s.clipped {
		return &e.unclipProtos[s.unclip]
	}
	var vibes [8]uint8
	nv, na := 0, 0
	for _, d := range around {
		r, c := s.row+d[0], s.col+d[1]
		if r < 0 || c < 0 || r >= e.height || c >= e.width {
			continue
		}
		id := e.grid[r*e.width+c]
		if id < 0 || e.objs[id].kind != kindAgent {
			continue
		}
		na++
		if v := e.agents[e.objs[id].idx].vibe; v != VibeDefault {
			// insertion sort as we go
			j := nv
			for j > 0 && vibes[j-1] > uint8(v) {
				vibes[j] = vibes[j-1]
				j--
			}
			vibes[j] = uint8(v)
			nv++
		}
	}
	var key uint64
	for j := 0; j < nv; j++ {
		key = key<<8 | uint64(vibes[j])
	}
	protos := s.typ.protos
	for k := range protos {
		if p := &protos[k]; p.key == key && int(p.minAgents) <= na {
			return p
		}
	}
	if key != 0 {
		for k := range protos {
			if p := &protos[k]; p.key == 0 && int(p.minAgents) <= na {
				return p
			}
		}
	}
	return nil
}

// progress is the share of the current cooldown that has passed, as the
// engine computes it in float32; 1 when not cooling down.
func (e *Env) progress(s *station) float32 {
	now := uint32(e.step)
	if s.cooldownDur == 0 || s.cooldownEnd <= now {
		return 1
	}
	start := s.cooldownEnd - s.cooldownDur
	if now <= start {
		return 0
	}
	return float32(now-start) / float32(s.cooldownDur)
}

func hasPositive(a *[NumResources]int32) bool {
	for _, v := range a {
		if v > 0 {
			return true
		}
	}
	return false
}

// useStation resolves agent i using station si (GAME.md "How a use resolves").
func (e *Env) useStation(i, si int) bool {
	s := &e.stations[si]
	if s.typ.maxUses > 0 && s.uses >= s.typ.maxUses {
		return false
	}
	prog := e.progress(s)
	if prog < 1 && !s.typ.partial {
		return false
	}
	p := e.currentProtocol(s)
	if p == nil {
		return false
	}
	in, out := p.in, p.out
	if prog < 1 {
		for r := range in {
			if in[r] > 0 {
				in[r] = int32(math.Ceil(float64(float32(in[r]) * prog)))
			}
			if out[r] > 0 {
				out[r] = int32(math.Floor(float64(float32(out[r]) * prog)))
			}
		}
		if !hasPositive(&out) && hasPositive(&p.out) && !s.clipped {
			return false
		}
	}
	var buf [8]int32
	n := e.neighbours(s.row, s.col, i, &buf)
	ags := buf[:n]
	for r := range in {
		if in[r] == 0 {
			continue
		}
		var total int32
		for _, a := range ags {
			total += e.agents[a].inv[r]
		}
		if total < in[r] {
			return false
		}
	}
	if hasPositive(&out) {
		fits := false
		for r := range out {
			if out[r] == 0 {
				continue
			}
			var f int32
			for _, a := range ags {
				f += e.free(int(a), Resource(r))
			}
			if f >= 1 {
				fits = true
				break
			}
		}
		if !fits {
			return false
		}
	}
	for r := range in {
		if in[r] > 0 {
			e.sharedUpdate(ags, Resource(r), -in[r])
		}
	}
	for r := range out {
		if out[r] > 0 {
			e.sharedUpdate(ags, Resource(r), out[r])
		}
	}
	s.cooldownDur = p.cooldown
	s.cooldownEnd = uint32(e.step) + p.cooldown
	e.tokDirty[s.obj] = true
	if s.clipped {
		e.unclipStation(si)
	} else {
		s.uses++
	}
	return true
}

// sharedUpdate splits delta of r among agents as evenly as their room (or
// stock) allows; earlier agents take the remainder. It returns the amount
// applied. This is the engine's shared inventory update.
func (e *Env) sharedUpdate(ags []int32, r Resource, delta int32) int32 {
	if len(ags) == 0 {
		return 0
	}
	var cur, next [8]int32
	nc := copy(next[:], ags)
	remaining := delta
	left := int32(nc)
	per := remaining / left
	var cn int
	for {
		cn = nc
		cur = next
		nc = 0
		for k := 0; k < cn; k++ {
			a := int(cur[k])
			var now bool
			if remaining > 0 {
				now = e.free(a, r) <= per
			} else {
				now = e.agents[a].inv[r] <= -per
			}
			if now {
				remaining -= e.update(a, r, per)
				left--
				if left > 0 {
					per = remaining / left
				}
			} else {
				next[nc] = cur[k]
				nc++
			}
		}
		if nc == cn {
			break
		}
	}
	if left == 0 {
		return delta - remaining
	}
	for k := cn - 1; k >= 0; k-- {
		d := remaining / int32(k+1)
		remaining -= e.update(int(cur[k]), r, d)
	}
	return delta - remaining
}

// Clipper.

const clipCutoff = 3 // in units of the length scale

func (e *Env) buildClipper() {
	e.clipCutoff = clipCutoff
	var elig []int32
	for i := range e.stations {
		if e.stations[i].eligible {
			elig = append(elig, int32(i))
		}
	}
	if len(elig) == 0 {
		return
	}
	// The length scale is about half the mean spacing of the clippable
	// stations: ceil(sqrt(cells per station)) / 2, at least 1.
	sparsity := int(e.width) * int(e.height) / len(elig)
	root := 1
	for root*root < sparsity {
		root++
	}
	e.lengthScale = int32(max(root/2, 1))
	if e.cfg.Clip.Period <= 0 {
		return
	}
	lim := e.clipCutoff * e.lengthScale
	for x := 0; x < len(elig); x++ {
		a := &e.stations[elig[x]]
		for y := x + 1; y < len(elig); y++ {
			b := &e.stations[elig[y]]
			if chebyshev(a, b) <= lim {
				a.adj = append(a.adj, elig[y])
				b.adj = append(b.adj, elig[x])
			}
		}
	}
}

func chebyshev(a, b *station) int32 {
	dr, dc := a.row-b.row, a.col-b.col
	if dr < 0 {
		dr = -dr
	}
	if dc < 0 {
		dc = -dc
	}
	return max(dr, dc)
}

// infection is the weight a clipped station adds to a neighbour: it
// halves with each length scale of distance, zero past the cutoff.
func (e *Env) infection(a, b *station) uint32 {
	d := chebyshev(a, b) / e.lengthScale
	if d > e.clipCutoff {
		return 0
	}
	return 1 << uint(e.clipCutoff-d)
}

func (e *Env) clip(si int) {
	s := &e.stations[si]
	if s.clipped {
		return
	}
	for _, j := range s.adj {
		e.stations[j].infection += e.infection(s, &e.stations[j])
	}
	s.clipped = true
	e.tokDirty[s.obj] = true
	s.unclip = int32(e.rng.Intn(len(e.unclipProtos)))
	s.cooldownEnd = uint32(e.step)
	s.cooldownDur = 0
	e.gs.clipped++
}

func (e *Env) unclipStation(si int) {
	s := &e.stations[si]
	s.clipped = false
	e.tokDirty[s.obj] = true
	for _, j := range s.adj {
		e.stations[j].infection -= e.infection(s, &e.stations[j])
	}
	e.gs.unclipped++
}

// pickToClip chooses an unclipped, clippable station: weighted by
// infection when any has some, else uniformly. -1 when none is left.
func (e *Env) pickToClip() int {
	var total uint32
	unclipped := 0
	for i := range e.stations {
		s := &e.stations[i]
		if !s.eligible || s.clipped {
			continue
		}
		unclipped++
		total += s.infection
	}
	if unclipped == 0 {
		return -1
	}
	if total == 0 {
		k := e.rng.Intn(unclipped)
		for i := range e.stations {
			s := &e.stations[i]
			if !s.eligible || s.clipped {
				continue
			}
			if k == 0 {
				return i
			}
			k--
		}
	}
	w := uint32(e.rng.Intn(int(total))) + 1
	for i := range e.stations {
		s := &e.stations[i]
		if !s.eligible || s.clipped || s.infection == 0 {
			continue
		}
		if w <= s.infection {
			return i
		}
		w -= s.infection
	}
	return -1
}
