package sim

import (
	"fmt"
	"sort"
)

// Grid cell values: an object index (>= 0), or one of these.
const (
	cellEmpty int32 = -1
	cellWall  int32 = -2
)

const (
	kindAgent uint8 = iota
	kindStation
	kindChest
)

// object is a non-wall thing on the grid. Walls live only in the grid.
type object struct {
	kind uint8
	idx  int32 // index into Env.agents, Env.stations or Env.chests
}

// agent is the state of one cog.
type agent struct {
	row, col           int32
	startRow, startCol int32
	obj                int32
	vibe               int32
	inv                [NumResources]int32
	lastAction         int32
	stepsWithoutMotion int32
	present            [NumResources]bool // diversity tracking
	diversity          int32
	statReward         float32
	st                 agentStats
}

// stationType is a StationConfig compiled for the hot loop.
type stationType struct {
	name         string
	tag          uint8
	protos       []compiledProto // sorted by min_agents, highest first (stable)
	maxUses      int32
	partial      bool
	clipImmune   bool
	startClipped bool
}

type compiledProto struct {
	key       uint64 // sorted vibes packed a byte each
	minAgents int32
	in, out   [NumResources]int32
	cooldown  uint32
	tokens    []byte // feature, value pairs: inputs then outputs, resource order
}

type station struct {
	typ          *stationType
	row, col     int32
	obj          int32
	uses         int32
	cooldownEnd  uint32
	cooldownDur  uint32
	clipped      bool
	unclip       int32
	startClipped bool
	// clipper bookkeeping
	eligible  bool
	infection uint32
	adj       []int32 // eligible stations within the cutoff
}

type chest struct {
	row, col int32
	obj      int32
	inv      [NumResources]int32
}

// Env is one running episode of a GameConfig. It is not safe for
// concurrent use; run one Env per goroutine.
type Env struct {
	cfg       *GameConfig
	seed      uint64
	rng       RNG
	width     int32
	height    int32
	numAgents int
	maxSteps  int
	step      int
	done      bool
	observe   bool

	grid     []int32
	initGrid []int32
	objs     []object
	agents   []agent
	stations []station
	chests   []chest
	types    []stationType
	order    []int

	// limits by resource: group id and group limits
	group      [NumResources]uint8
	groupLimit [4]int32
	regen      int32
	moveCost   int32
	gift       int32
	vibeCharge int32

	chestCap     int32
	chestXfer    [NumVibes][NumResources]int32
	chestHasXfer [NumVibes]bool

	unclipProtos []compiledProto
	lengthScale  int32
	clipCutoff   int32

	rewards   []float32
	epRewards []float64
	obs       []byte

	// per-object observation tokens, rebuilt when dirty
	tok      []byte
	tokN     []uint8
	tokDirty []bool
	tokTimed []bool  // a station cooling down: its countdown changes each step
	tokStep  []int32 // step the tokens were built at
	visit    []visitCell
	slot     [256]int32 // window cell contents by visit index, scratch
	// stationNear marks the cells next to a station: only an agent there
	// can change what a station shows.
	stationNear []bool
	occ         []uint64 // bitset of cells holding a non-wall object, occWords words per row
	wallMask    []uint64 // per cell, 2 words: the walls in view by visit index
	initOcc     []uint64
	occWords    int

	gs        gameStats
	objCounts [numTypes]int
	heartInv  float32 // 1/numAgents
	// recipeW[r] is 1/(resources with a need x need of r) for the recipe
	// shaping, 0 where r has no need; recipeNeed the amounts.
	recipeW    [NumResources]float32
	recipeNeed [NumResources]int32
	recipeOn   bool
}

// visitCell is one cell of the observation window in visit order.
type visitCell struct {
	dr, dc int32
	loc    uint8
}

const tokStride = 64 // bytes (32 feature/value pairs) per object token cache

// Resource limit groups.
const (
	groupEnergy = iota
	groupHeart
	groupCargo
	groupGear
)

// NewEnv builds an episode of cfg and resets it with seed. The config is
// cloned, so the caller may change it afterwards.
func NewEnv(cfg *GameConfig, seed uint64) (*Env, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.Clone()
	e := &Env{
		cfg:       cfg,
		width:     int32(cfg.Map.Width),
		height:    int32(cfg.Map.Height),
		numAgents: cfg.NumAgents,
		maxSteps:  cfg.MaxSteps,
		observe:   true,
	}
	e.setAgentRules(cfg)
	typeIdx := e.compileStationTypes(cfg)
	e.compileChestTransfers(cfg.Chest)
	e.placeObjects(cfg.Map, typeIdx)
	e.allocate()
	e.buildVisit()
	e.buildOcc() // after buildVisit
	e.markStationNeighbours()
	e.buildClipper()
	e.Reset(seed)
	return e, nil
}

// setAgentRules copies the agents' limits and energy rules.
func (e *Env) setAgentRules(cfg *GameConfig) {
	a := cfg.Agent
	e.group = [NumResources]uint8{groupEnergy, groupCargo, groupCargo, groupCargo, groupCargo, groupHeart, groupGear, groupGear, groupGear, groupGear}
	e.groupLimit = [4]int32{int32(a.EnergyLimit), int32(a.HeartLimit), int32(a.CargoLimit), int32(a.GearLimit)}
	e.regen = int32(a.EnergyRegen)
	e.moveCost = int32(a.MoveCost)
	e.gift = int32(a.ChargerGift)
	e.vibeCharge = int32(vibeMust("charger"))
	e.heartInv = 1 / float32(cfg.NumAgents)
	needs := 0
	for _, n := range cfg.Reward.RecipeNeed {
		if n > 0 {
			needs++
		}
	}
	for r, n := range cfg.Reward.RecipeNeed {
		if n > 0 {
			e.recipeOn = true
			e.recipeNeed[r] = int32(n)
			e.recipeW[r] = 1 / float32(needs*n)
		}
	}
}

// compileStationTypes compiles the station types in name order, so that
// indices are deterministic, and the unclipping protocols; it returns each
// type's index by name.
func (e *Env) compileStationTypes(cfg *GameConfig) map[string]int32 {
	names := make([]string, 0, len(cfg.Stations))
	for n := range cfg.Stations {
		if cfg.Stations[n] != nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	typeIdx := map[string]int32{}
	e.types = make([]stationType, len(names))
	for i, n := range names {
		s := cfg.Stations[n]
		tag, _ := typeID(n)
		t := stationType{name: n, tag: uint8(tag), maxUses: int32(s.MaxUses), partial: s.AllowPartialUsage,
			clipImmune: s.ClipImmune, startClipped: s.StartClipped}
		for _, p := range s.Protocols {
			t.protos = append(t.protos, compileProto(p))
		}
		sort.SliceStable(t.protos, func(i, j int) bool { return t.protos[i].minAgents > t.protos[j].minAgents })
		e.types[i] = t
		typeIdx[n] = int32(i)
	}
	for _, r := range []Resource{Decoder, Modulator, Scrambler, Resonator} {
		var p Protocol
		p.Inputs[r] = 1
		p.Cooldown = 1
		e.unclipProtos = append(e.unclipProtos, compileProto(p))
	}
	return typeIdx
}

// compileChestTransfers lays the chest's transfers out as a table indexed
// by vibe.
func (e *Env) compileChestTransfers(c ChestConfig) {
	e.chestCap = int32(c.Capacity)
	if len(c.DefaultDeposit) > 0 {
		e.chestHasXfer[VibeDefault] = true
		for _, r := range c.DefaultDeposit {
			e.chestXfer[VibeDefault][r] = 255
		}
	}
	for v, d := range c.Transfers {
		e.chestHasXfer[v] = true
		for r := range d {
			e.chestXfer[v][r] = int32(d[r])
		}
	}
}

// placeObjects reads the map into the initial grid and creates its
// objects in row-major order; agents are numbered in that order.
func (e *Env) placeObjects(m *Map, typeIdx map[string]int32) {
	e.initGrid = make([]int32, m.Width*m.Height)
	for i, cell := range m.Cells {
		canon, clipped, _ := CanonicalObject(cell)
		row, col := int32(i/m.Width), int32(i%m.Width)
		switch canon {
		case "empty":
			e.initGrid[i] = cellEmpty
		case "wall":
			e.initGrid[i] = cellWall
			e.objCounts[tagWall]++
		case "agent":
			e.initGrid[i] = int32(len(e.objs))
			e.objs = append(e.objs, object{kind: kindAgent, idx: int32(len(e.agents))})
			e.agents = append(e.agents, agent{startRow: row, startCol: col, obj: e.initGrid[i]})
		case "chest":
			e.initGrid[i] = int32(len(e.objs))
			e.objs = append(e.objs, object{kind: kindChest, idx: int32(len(e.chests))})
			e.chests = append(e.chests, chest{row: row, col: col, obj: e.initGrid[i]})
			e.objCounts[tagChest]++
		default:
			t := &e.types[typeIdx[canon]]
			e.initGrid[i] = int32(len(e.objs))
			e.objs = append(e.objs, object{kind: kindStation, idx: int32(len(e.stations))})
			e.stations = append(e.stations, station{typ: t, row: row, col: col, obj: e.initGrid[i],
				startClipped: clipped || t.startClipped, eligible: !t.clipImmune})
			e.objCounts[t.tag]++
		}
	}
}

// allocate makes the per-episode buffers: the grid, the agents' rewards
// and observations and the per-object token caches.
func (e *Env) allocate() {
	e.grid = make([]int32, len(e.initGrid))
	e.order = make([]int, e.numAgents)
	e.rewards = make([]float32, e.numAgents)
	e.epRewards = make([]float64, e.numAgents)
	e.obs = make([]byte, e.numAgents*ObsSize)
	e.tok = make([]byte, len(e.objs)*tokStride)
	e.tokN = make([]uint8, len(e.objs))
	e.tokDirty = make([]bool, len(e.objs))
	e.tokTimed = make([]bool, len(e.objs))
	e.tokStep = make([]int32, len(e.objs))
}

// markStationNeighbours marks the cells around each station (see
// Env.stationNear).
func (e *Env) markStationNeighbours() {
	e.stationNear = make([]bool, len(e.initGrid))
	for i := range e.stations {
		st := &e.stations[i]
		for _, d := range around {
			r, c := st.row+d[0], st.col+d[1]
			if r >= 0 && c >= 0 && r < e.height && c < e.width {
				e.stationNear[r*e.width+c] = true
			}
		}
	}
}

func compileProto(p Protocol) compiledProto {
	c := compiledProto{minAgents: int32(p.MinAgents), cooldown: uint32(p.Cooldown)}
	c.key = vibeKey(sortedInts(append([]int(nil), p.Vibes...)...))
	for r := 0; r < NumResources; r++ {
		c.in[r] = int32(p.Inputs[r])
		c.out[r] = int32(p.Outputs[r])
	}
	for r := 0; r < NumResources; r++ {
		if c.in[r] > 0 {
			c.tokens = append(c.tokens, byte(FeatProtocolInput+r), byte(c.in[r]))
		}
	}
	for r := 0; r < NumResources; r++ {
		if c.out[r] > 0 {
			c.tokens = append(c.tokens, byte(FeatProtocolOutput+r), byte(c.out[r]))
		}
	}
	return c
}

// vibeKey packs sorted vibe ids a byte each, as the local vibe key.
func vibeKey(v []int) uint64 {
	var k uint64
	for _, x := range v {
		k = k<<8 | uint64(x)
	}
	return k
}

// Reset starts a new episode with seed. It does not allocate.
func (e *Env) Reset(seed uint64) {
	e.seed = seed
	e.rng.Seed(seed)
	e.step = 0
	e.done = false
	copy(e.grid, e.initGrid)
	copy(e.occ, e.initOcc)
	for i := range e.tokDirty {
		e.tokDirty[i] = true
	}
	e.gs = gameStats{}
	for i := range e.agents {
		a := &e.agents[i]
		*a = agent{startRow: a.startRow, startCol: a.startCol, row: a.startRow, col: a.startCol, obj: a.obj}
		e.update(i, Energy, int32(e.cfg.Agent.InitialEnergy))
	}
	for i := range e.stations {
		s := &e.stations[i]
		s.uses, s.cooldownEnd, s.cooldownDur, s.clipped, s.unclip, s.infection = 0, 0, 0, false, 0, 0
	}
	for i := range e.chests {
		e.chests[i].inv = [NumResources]int32{}
	}
	for i := range e.stations {
		if e.stations[i].startClipped {
			e.clip(i)
		}
	}
	for i := range e.rewards {
		e.rewards[i] = 0
		e.epRewards[i] = 0
	}
	if e.observe {
		e.computeObservations()
	}
}

// SetObserve turns observation building on (the default) or off. With it
// off, Observations holds stale data; scripted runs that read the state
// through Agent and Render can skip the cost.
func (e *Env) SetObserve(on bool) {
	e.observe = on
	if on && e.step == 0 {
		e.computeObservations()
	}
}

// NumAgents returns the number of agents.
func (e *Env) NumAgents() int { return e.numAgents }

// Width and Height give the grid size.
func (e *Env) Width() int  { return int(e.width) }
func (e *Env) Height() int { return int(e.height) }

// Config returns the environment's own copy of its configuration; do not
// change it.
func (e *Env) Config() *GameConfig { return e.cfg }

// Seed returns the seed of the current episode.
func (e *Env) Seed() uint64 { return e.seed }

// StepCount returns the number of steps taken in this episode.
func (e *Env) StepCount() int { return e.step }

// Done reports whether the episode has reached max_steps.
func (e *Env) Done() bool { return e.done }

// Observations returns the agents' observations, agent-major, ObsSize
// bytes each. The slice is reused by the next Step or Reset.
func (e *Env) Observations() []uint8 { return e.obs }

// ObserveInto copies the observations into dst (NumAgents*ObsSize bytes).
func (e *Env) ObserveInto(dst []uint8) { copy(dst, e.obs) }

// Rewards returns this step's reward per agent (reused by the next Step).
func (e *Env) Rewards() []float32 { return e.rewards }

// EpisodeRewards returns the cumulative reward per agent.
func (e *Env) EpisodeRewards() []float64 { return e.epRewards }

// AgentView is a read-only picture of one agent.
type AgentView struct {
	Row, Col   int
	Vibe       int
	Energy     int
	Inventory  [NumResources]int
	LastAction int // the last action if it succeeded, else 0
}

// Agent returns agent i's position, vibe and inventory.
func (e *Env) Agent(i int) AgentView {
	a := &e.agents[i]
	v := AgentView{Row: int(a.row), Col: int(a.col), Vibe: int(a.vibe), Energy: int(a.inv[Energy]), LastAction: int(a.lastAction)}
	for r := range a.inv {
		v.Inventory[r] = int(a.inv[r])
	}
	return v
}

// ChestHearts returns the hearts currently held by all chests.
func (e *Env) ChestHearts() int { return int(e.gs.chestAmount[Heart]) }

// Step applies one action per agent and advances the episode. An action id
// outside [0, NumActions) is a failed noop. Once the episode is done, Step
// does nothing and returns true until Reset.
func (e *Env) Step(actions []int32) (done bool) {
	if e.done {
		return true
	}
	if len(actions) < e.numAgents {
		panic(fmt.Sprintf("sim: Step needs %d actions, got %d", e.numAgents, len(actions)))
	}
	for i := range e.rewards {
		e.rewards[i] = 0
	}
	e.step++
	for i := range e.order {
		e.order[i] = i
	}
	e.rng.Shuffle(e.order)
	for _, i := range e.order {
		e.act(i, actions[i])
	}
	if e.regen != 0 {
		for i := range e.agents {
			e.update(i, Energy, e.regen)
		}
	}
	if e.cfg.Clip.Period > 0 && e.rng.Intn(e.cfg.Clip.Period) == 0 {
		if s := e.pickToClip(); s >= 0 {
			e.clip(s)
		}
	}
	if e.observe {
		e.computeObservations()
	}
	e.computeRewards()
	for i, r := range e.rewards {
		e.epRewards[i] += float64(r)
	}
	e.done = e.step >= e.maxSteps
	return e.done
}

var moveDelta = [5][2]int32{{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}}

func (e *Env) act(i int, action int32) {
	a := &e.agents[i]
	row, col := a.row, a.col
	var ok bool
	var h int
	switch {
	case action == ActionNoop:
		h, ok = handlerNoop, true
	case action >= ActionMoveNorth && action <= ActionMoveEast:
		h = handlerMove
		ok = e.move(i, moveDelta[action])
	case action >= ActionVibeBase && action < NumActions:
		h, ok = handlerVibe, true
		if v := action - ActionVibeBase; v != a.vibe {
			a.vibe = v
			e.tokDirty[a.obj] = true
			e.touchAround(a.row, a.col)
		}
	default:
		h = handlerNoop
	}
	if ok {
		a.st.act[h*2]++
		a.lastAction = action
	} else {
		a.st.act[h*2+1]++
		a.st.act[statActionFailed]++
		a.lastAction = 0
	}
	if a.row == row && a.col == col {
		a.stepsWithoutMotion++
		if float64(a.stepsWithoutMotion) > a.st.maxStill {
			a.st.maxStill = float64(a.stepsWithoutMotion)
		}
	} else {
		a.stepsWithoutMotion = 0
	}
}

func (e *Env) move(i int, d [2]int32) bool {
	a := &e.agents[i]
	if a.inv[Energy] < e.moveCost {
		return false
	}
	r, c := a.row+d[0], a.col+d[1]
	if r < 0 || c < 0 || r >= e.height || c >= e.width {
		return false
	}
	cell := r*e.width + c
	id := e.grid[cell]
	switch {
	case id == cellEmpty:
		e.grid[a.row*e.width+a.col] = cellEmpty
		clearBit(e.occ, e.occBit(a.row, a.col))
		e.touchAround(a.row, a.col)
		e.grid[cell] = a.obj
		setBit(e.occ, e.occBit(r, c))
		a.row, a.col = r, c
		e.touchAround(r, c)
	case id == cellWall:
		return false
	default:
		o := e.objs[id]
		var ok bool
		switch o.kind {
		case kindStation:
			ok = e.useStation(i, int(o.idx))
		case kindChest:
			ok = e.useChest(i, int(o.idx))
		case kindAgent:
			ok = e.useAgent(i, int(o.idx))
		}
		if !ok {
			return false
		}
	}
	// The cost is taken after the effect and clamps at what is left.
	e.update(i, Energy, -e.moveCost)
	return true
}

// free returns how much more of r agent i can hold.
func (e *Env) free(i int, r Resource) int32 {
	a := &e.agents[i]
	g := e.group[r]
	var used int32
	switch g {
	case groupCargo:
		used = a.inv[Carbon] + a.inv[Oxygen] + a.inv[Germanium] + a.inv[Silicon]
	case groupGear:
		used = a.inv[Decoder] + a.inv[Modulator] + a.inv[Resonator] + a.inv[Scrambler]
	default:
		used = a.inv[r]
	}
	f := e.groupLimit[g] - used
	if m := 255 - a.inv[r]; f > m {
		f = m
	}
	if f < 0 {
		f = 0
	}
	return f
}

// update changes agent i's amount of r by delta, clamped to [0, limit],
// records the stats and returns the change made.
func (e *Env) update(i int, r Resource, delta int32) int32 {
	a := &e.agents[i]
	old := a.inv[r]
	n := old + delta
	if delta > 0 {
		if f := e.free(i, r); delta > f {
			n = old + f
		}
	}
	if n < 0 {
		n = 0
	}
	a.inv[r] = n
	d := n - old
	if d != 0 {
		e.tokDirty[a.obj] = true
	}
	if d > 0 {
		a.st.gained[r] += float64(d)
	} else if d < 0 {
		a.st.lost[r] -= float64(d)
	}
	if r <= Heart { // diversity counts energy, the cargo resources and heart
		now := n > 0
		if now != a.present[r] {
			prev := a.diversity
			a.present[r] = now
			if now {
				a.diversity++
			} else {
				a.diversity--
			}
			a.st.diversity = float64(a.diversity)
			for t := int32(2); t <= 5; t++ {
				if prev < t && a.diversity >= t {
					a.st.diversityGE[t-2] = 1
				}
			}
		}
	}
	return d
}

// useAgent: an agent vibing charger gives another min(gift, own energy).
func (e *Env) useAgent(i, j int) bool {
	a := &e.agents[i]
	if a.vibe != e.vibeCharge || e.gift == 0 {
		return false
	}
	share := min(e.gift, a.inv[Energy])
	if share <= 0 {
		return false
	}
	got := e.update(j, Energy, share)
	e.update(i, Energy, -got)
	return got > 0
}

// useChest applies the transfer that the acting agent's vibe selects.
func (e *Env) useChest(i, ci int) bool {
	a := &e.agents[i]
	v := a.vibe
	if !e.chestHasXfer[v] {
		return false
	}
	c := &e.chests[ci]
	e.tokDirty[c.obj] = true
	any := false
	for r := Resource(0); r < NumResources; r++ {
		d := e.chestXfer[v][r]
		switch {
		case d > 0: // deposit; what the chest cannot hold is destroyed
			amt := min(d, a.inv[r])
			if amt <= 0 {
				continue
			}
			e.update(i, r, -amt)
			add := min(amt, e.chestCap-c.inv[r])
			if add < 0 {
				add = 0
			}
			c.inv[r] += add
			e.gs.chestAmount[r] += add
			e.gs.chestDeposited[r] += float64(add)
			a.st.chestDeposited[r] += float64(add)
			any = true
		case d < 0: // withdraw; what the agent cannot hold is destroyed
			amt := min(-d, c.inv[r])
			if amt <= 0 {
				continue
			}
			c.inv[r] -= amt
			e.gs.chestAmount[r] -= amt
			e.gs.chestWithdrawn[r] += float64(amt)
			a.st.chestWithdrawn[r] += float64(amt)
			e.update(i, r, amt)
			any = true
		}
	}
	return any
}

// recipePotential is agent a's progress toward one heart's inputs, 0 to 1.
func (e *Env) recipePotential(a *agent) float32 {
	var p float32
	for r, w := range e.recipeW {
		if w != 0 {
			// The explicit conversion rounds the product, so no platform
			// fuses a multiply-add.
			p += float32(float32(min(a.inv[r], e.recipeNeed[r])) * w)
		}
	}
	return p
}

func (e *Env) computeRewards() {
	if !e.cfg.Reward.HeartChorus {
		// Explicit conversions round each product, so no platform fuses
		// a multiply-add and results are the same everywhere.
		team := float32(float32(e.gs.chestAmount[Heart]) * e.heartInv)
		for i := range e.agents {
			a := &e.agents[i]
			v := team
			if e.recipeOn {
				v += e.recipePotential(a)
			}
			if d := v - a.statReward; d != 0 {
				e.rewards[i] += d
				a.statReward = v
			}
		}
		return
	}
	dep := float32(e.gs.chestDeposited[Heart])
	wd := float32(e.gs.chestWithdrawn[Heart])
	for i := range e.agents {
		a := &e.agents[i]
		v := float32(a.st.gained[Heart]) + dep - wd +
			float32(float32(a.st.diversityGE[0])*0.17) + float32(float32(a.st.diversityGE[1])*0.18) +
			float32(float32(a.st.diversityGE[2])*0.60) + float32(float32(a.st.diversityGE[3])*0.97)
		if e.recipeOn {
			v += e.recipePotential(a)
		}
		if d := v - a.statReward; d != 0 {
			e.rewards[i] += d
			a.statReward = v
		}
	}
}
