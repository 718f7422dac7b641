package policy

import "github.com/dafscript/dafscript/sim"

// Object kinds the baseline tells apart.
const (
	kindNone uint8 = iota
	kindAgent
	kindAssembler
	kindCarbon
	kindCharger
	kindChest
	kindGermanium
	kindOxygen
	kindSilicon
	kindWall
)

// tagKind maps an observation's tag value (an index into sim.TypeNames)
// to a kind.
var tagKind = func() [256]uint8 {
	kinds := map[string]uint8{
		"agent": kindAgent, "assembler": kindAssembler, "carbon_extractor": kindCarbon,
		"charger": kindCharger, "chest": kindChest, "germanium_extractor": kindGermanium,
		"oxygen_extractor": kindOxygen, "silicon_extractor": kindSilicon, "wall": kindWall,
	}
	var t [256]uint8
	for i, name := range sim.TypeNames() {
		k, ok := kinds[name]
		if !ok {
			panic("policy: no kind for object type " + name)
		}
		t[i] = k
	}
	return t
}()

// extractorOf maps a cargo resource to the kind of its extractor.
var extractorOf = [sim.NumResources]uint8{
	sim.Carbon:    kindCarbon,
	sim.Oxygen:    kindOxygen,
	sim.Germanium: kindGermanium,
	sim.Silicon:   kindSilicon,
}

// cargo are the resources a heart recipe consumes.
var cargo = [4]sim.Resource{sim.Carbon, sim.Oxygen, sim.Germanium, sim.Silicon}

// objView is one object of an observation, relative to the observer.
type objView struct {
	dr, dc   int
	kind     uint8
	vibe     int
	inv      [sim.NumResources]int
	cooldown int
	uses     int // -1: no use limit shown
	clipped  bool
	hasProto bool
	protoIn  [sim.NumResources]int
	protoOut [sim.NumResources]int
}

// view is one decoded observation.
type view struct {
	lastAction int
	completion int
	energy     int
	inv        [sim.NumResources]int
	vibe       int
	objs       []objView // every object but the observer itself
	byLoc      [sim.ObsWindow * sim.ObsWindow]int16
}

const obsHalf = sim.ObsWindow / 2

// decode fills v from one agent's observation (sim.ObsSize bytes). It
// reuses v's storage and tolerates objects' tokens in any order.
func (v *view) decode(obs []uint8) {
	v.lastAction, v.completion, v.energy, v.vibe = 0, 0, 0, sim.VibeDefault
	v.inv = [sim.NumResources]int{}
	v.objs = v.objs[:0]
	for i := range v.byLoc {
		v.byLoc[i] = -1
	}
	for t := 0; t+2 < len(obs) && t < sim.ObsSize; t += sim.ObsTokenSize {
		loc, feat, val := obs[t], obs[t+1], int(obs[t+2])
		if loc == 0xFF {
			break // tokens are packed: the rest is unused
		}
		row, col := int(loc>>4), int(loc&15)
		if row >= sim.ObsWindow || col >= sim.ObsWindow {
			continue
		}
		if loc == sim.ObsCenter {
			switch {
			case feat == sim.FeatEpisodeCompletion:
				v.completion = val
			case feat == sim.FeatLastAction:
				v.lastAction = val
			case feat == sim.FeatVibe:
				v.vibe = val
			case feat >= sim.FeatInventory && feat < sim.FeatInventory+sim.NumResources:
				v.inv[feat-sim.FeatInventory] = val
			}
			continue
		}
		idx := row*sim.ObsWindow + col
		oi := v.byLoc[idx]
		if oi < 0 {
			oi = int16(len(v.objs))
			v.byLoc[idx] = oi
			v.objs = append(v.objs, objView{dr: row - obsHalf, dc: col - obsHalf, uses: -1})
		}
		o := &v.objs[oi]
		switch {
		case feat == sim.FeatTag:
			o.kind = tagKind[val]
		case feat == sim.FeatVibe:
			o.vibe = val
		case feat == sim.FeatCooldownRemaining:
			o.cooldown = val
		case feat == sim.FeatClipped:
			o.clipped = val != 0
		case feat == sim.FeatRemainingUses:
			o.uses = val
		case feat >= sim.FeatInventory && feat < sim.FeatInventory+sim.NumResources:
			o.inv[feat-sim.FeatInventory] = val
		case feat >= sim.FeatProtocolInput && feat < sim.FeatProtocolInput+sim.NumResources:
			o.hasProto = true
			o.protoIn[feat-sim.FeatProtocolInput] = val
		case feat >= sim.FeatProtocolOutput && feat < sim.FeatProtocolOutput+sim.NumResources:
			o.hasProto = true
			o.protoOut[feat-sim.FeatProtocolOutput] = val
		}
	}
	v.energy = v.inv[sim.Energy]
}

// at returns the object at offset (dr, dc) from the observer, or nil.
func (v *view) at(dr, dc int) *objView {
	if dr < -obsHalf || dr > obsHalf || dc < -obsHalf || dc > obsHalf {
		return nil
	}
	oi := v.byLoc[(dr+obsHalf)*sim.ObsWindow+dc+obsHalf]
	if oi < 0 {
		return nil
	}
	return &v.objs[oi]
}
