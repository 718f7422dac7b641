package sim

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Object type names. Their alphabetical order gives the observation tag
// ids: agent 0, assembler 1, ..., wall 8.
var typeNames = [...]string{
	"agent", "assembler", "carbon_extractor", "charger", "chest",
	"germanium_extractor", "oxygen_extractor", "silicon_extractor", "wall",
}

const (
	tagAgent     = 0
	tagAssembler = 1
	tagChest     = 4
	tagWall      = 8
	numTypes     = len(typeNames)
)

// StationNames lists the station (non-chest) object names in tag order.
func StationNames() []string {
	return []string{"assembler", "carbon_extractor", "charger", "germanium_extractor", "oxygen_extractor", "silicon_extractor"}
}

// TypeNames returns the object type names in tag-id order (the
// observation's tag feature value is the index).
func TypeNames() []string { return append([]string(nil), typeNames[:]...) }

func typeID(name string) (int, bool) {
	for i, n := range typeNames {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

func isStationName(name string) bool {
	id, ok := typeID(name)
	return ok && id != tagAgent && id != tagChest && id != tagWall
}

// CanonicalObject maps a map cell name to the object it makes: "empty",
// "wall", "agent", "chest" or a station name, and whether a station starts
// clipped. It accepts the spellings found in map files: "agent.agent",
// "carbon_ex_dep", "clipped_oxygen_extractor", "chest_carbon". ok is false
// for an unknown name.
func CanonicalObject(name string) (canon string, clipped bool, ok bool) {
	switch {
	case name == "" || name == "empty" || name == ".":
		return "empty", false, true
	case name == "wall":
		return "wall", false, true
	case name == "agent" || strings.HasPrefix(name, "agent."):
		return "agent", false, true
	case name == "chest" || strings.HasPrefix(name, "chest_"):
		return "chest", false, true
	case strings.HasPrefix(name, "clipped_"):
		c, _, ok := CanonicalObject(strings.TrimPrefix(name, "clipped_"))
		if !ok || !isStationName(c) || c == "assembler" {
			return "", false, false
		}
		return c, true, true
	case strings.HasSuffix(name, "_ex_dep"):
		r := strings.TrimSuffix(name, "_ex_dep")
		if res, ok := ParseResource(r); ok && res >= Carbon && res <= Silicon {
			return r + "_extractor", false, true
		}
		return "", false, false
	case isStationName(name):
		return name, false, true
	}
	return "", false, false
}

// DefaultAgentConfig returns the GAME.md agent: 100 energy, the shared
// limits, +1 regeneration, move cost 2 and a charger gift of 20.
func DefaultAgentConfig() AgentConfig {
	return AgentConfig{
		InitialEnergy: 100,
		EnergyLimit:   100,
		HeartLimit:    1,
		CargoLimit:    100,
		GearLimit:     5,
		EnergyRegen:   1,
		MoveCost:      2,
		ChargerGift:   20,
	}
}

func vibeMust(name string) int {
	v, ok := VibeID(name)
	if !ok {
		panic("sim: vibes.txt lacks " + name)
	}
	return v
}

// DefaultChestConfig returns the GAME.md chest: default deposits up to 255
// of heart and the four cargo resources; heart_a/_b withdraw/deposit 1
// heart, carbon and oxygen 10, germanium 1, silicon 25; capacity 255.
func DefaultChestConfig() ChestConfig {
	c := ChestConfig{
		Capacity:       255,
		DefaultDeposit: []Resource{Heart, Carbon, Oxygen, Germanium, Silicon},
		Transfers:      map[int][NumResources]int{},
	}
	pairs := []struct {
		r Resource
		n int
	}{{Heart, 1}, {Carbon, 10}, {Oxygen, 10}, {Germanium, 1}, {Silicon, 25}}
	for _, p := range pairs {
		var wd, dep [NumResources]int
		wd[p.r] = -p.n
		dep[p.r] = p.n
		c.Transfers[vibeMust(p.r.String()+"_a")] = wd
		c.Transfers[vibeMust(p.r.String()+"_b")] = dep
	}
	return c
}

// Station returns the configuration of a named station at an extractor
// efficiency (100 = normal), following the GAME.md table.
func Station(name string, efficiency int) (*StationConfig, error) {
	if efficiency <= 0 {
		return nil, fmt.Errorf("station %s: efficiency must be > 0, got %d", name, efficiency)
	}
	eff := efficiency
	s := &StationConfig{Efficiency: eff}
	out := func(r Resource, n int) (a [NumResources]int) { a[r] = n; return }
	switch name {
	case "charger":
		s.Protocols = []Protocol{{Outputs: out(Energy, 50*eff/100), Cooldown: 10}}
		s.AllowPartialUsage = true
	case "carbon_extractor":
		s.Protocols = []Protocol{{Outputs: out(Carbon, 2*eff/100)}}
		s.MaxUses = 25
	case "oxygen_extractor":
		s.Protocols = []Protocol{{Outputs: out(Oxygen, 10), Cooldown: 10000 / eff}}
		s.MaxUses = 5
		s.AllowPartialUsage = true
	case "germanium_extractor":
		for i, min := range []int{0, 2, 3, 4} {
			s.Protocols = append(s.Protocols, Protocol{MinAgents: min, Outputs: out(Germanium, 2+i)})
		}
		s.MaxUses = 1
	case "silicon_extractor":
		p := Protocol{Outputs: out(Silicon, max(1, 15*eff/100))}
		p.Inputs[Energy] = 20
		s.Protocols = []Protocol{p}
		s.MaxUses = 10
	case "assembler":
		heart := vibeMust("heart_a")
		for i := 0; i < 4; i++ {
			p := Protocol{Outputs: out(Heart, i+1)}
			for j := 0; j <= i; j++ {
				p.Vibes = append(p.Vibes, heart)
			}
			p.Inputs[Carbon] = 10 + 5*i
			p.Inputs[Oxygen] = 10 + 5*i
			p.Inputs[Germanium] = 2 + i
			p.Inputs[Silicon] = 30 + 15*i
			s.Protocols = append(s.Protocols, p)
		}
		gear := vibeMust("gear")
		for _, g := range []struct{ in, out Resource }{
			{Carbon, Decoder}, {Oxygen, Modulator}, {Germanium, Scrambler}, {Silicon, Resonator},
		} {
			p := Protocol{Vibes: sortedInts(gear, vibeMust(g.in.String()+"_a")), Outputs: out(g.out, 1)}
			p.Inputs[g.in] = 1
			s.Protocols = append(s.Protocols, p)
		}
		s.ClipImmune = true
	default:
		return nil, fmt.Errorf("unknown station %q (known: %s)", name, strings.Join(StationNames(), ", "))
	}
	return s, nil
}

func sortedInts(v ...int) []int { sort.Ints(v); return v }

// DefaultStations returns every station at efficiency 100, by name.
func DefaultStations() map[string]*StationConfig {
	m := map[string]*StationConfig{}
	for _, n := range StationNames() {
		s, _ := Station(n, 100)
		m[n] = s
	}
	return m
}

// Clone returns a deep copy, so that a variant can change it freely.
func (c *GameConfig) Clone() *GameConfig {
	if c == nil {
		return nil
	}
	n := *c
	if c.Map != nil {
		m := *c.Map
		m.Cells = append([]string(nil), c.Map.Cells...)
		n.Map = &m
	}
	if c.Stations != nil {
		n.Stations = make(map[string]*StationConfig, len(c.Stations))
		for k, s := range c.Stations {
			if s == nil {
				n.Stations[k] = nil
				continue
			}
			sc := *s
			sc.Protocols = make([]Protocol, len(s.Protocols))
			for i, p := range s.Protocols {
				p.Vibes = append([]int(nil), p.Vibes...)
				sc.Protocols[i] = p
			}
			n.Stations[k] = &sc
		}
	}
	n.Chest.DefaultDeposit = append([]Resource(nil), c.Chest.DefaultDeposit...)
	if c.Chest.Transfers != nil {
		n.Chest.Transfers = make(map[int][NumResources]int, len(c.Chest.Transfers))
		for k, v := range c.Chest.Transfers {
			n.Chest.Transfers[k] = v
		}
	}
	return &n
}

// Validate reports the first problem that would stop NewEnv, naming the
// offending field, cell or protocol.
func (c *GameConfig) Validate() error {
	if c == nil {
		return fmt.Errorf("game config is nil")
	}
	name := c.Name
	if name == "" {
		name = "game"
	}
	m := c.Map
	if m == nil {
		return fmt.Errorf("%s: no map", name)
	}
	mname := m.Name
	if mname == "" {
		mname = "map"
	}
	if m.Width <= 0 || m.Height <= 0 {
		return fmt.Errorf("%s: %s is %dx%d; width and height must be > 0", name, mname, m.Width, m.Height)
	}
	if m.Width > 4096 || m.Height > 4096 {
		return fmt.Errorf("%s: %s is %dx%d; at most 4096 cells a side", name, mname, m.Width, m.Height)
	}
	if len(m.Cells) != m.Width*m.Height {
		return fmt.Errorf("%s: %s has %d cells but width*height is %d*%d=%d", name, mname, len(m.Cells), m.Width, m.Height, m.Width*m.Height)
	}
	agents := 0
	for i, cell := range m.Cells {
		canon, _, ok := CanonicalObject(cell)
		if !ok {
			return fmt.Errorf("%s: %s row %d col %d: unknown object name %q (known: empty, wall, agent, chest, %s)",
				name, mname, i/m.Width, i%m.Width, cell, strings.Join(StationNames(), ", "))
		}
		switch {
		case canon == "agent":
			agents++
		case isStationName(canon):
			if s := c.Stations[canon]; s == nil {
				return fmt.Errorf("%s: %s row %d col %d: %q has no station configuration (Stations[%q] is missing)",
					name, mname, i/m.Width, i%m.Width, cell, canon)
			}
		}
	}
	if agents != c.NumAgents {
		return fmt.Errorf("%s: map has %d agent cells but num_agents is %d (map %s)", name, agents, c.NumAgents, mname)
	}
	if c.NumAgents < 1 {
		return fmt.Errorf("%s: num_agents must be >= 1, got %d", name, c.NumAgents)
	}
	if c.MaxSteps < 1 || c.MaxSteps > maxCount {
		return fmt.Errorf("%s: max_steps must be in [1, %d], got %d", name, maxCount, c.MaxSteps)
	}
	a := c.Agent
	for _, f := range []struct {
		n string
		v int
	}{{"initial_energy", a.InitialEnergy}, {"energy_limit", a.EnergyLimit}, {"heart_limit", a.HeartLimit},
		{"cargo_limit", a.CargoLimit}, {"gear_limit", a.GearLimit}, {"energy_regen", a.EnergyRegen},
		{"move_cost", a.MoveCost}, {"charger_gift", a.ChargerGift}} {
		if f.v < 0 || f.v > 255 {
			return fmt.Errorf("%s: agent %s must be in [0, 255], got %d", name, f.n, f.v)
		}
	}
	for r, n := range c.Reward.RecipeNeed {
		if n < 0 || n > 255 {
			return fmt.Errorf("%s: reward recipe need of %s must be in [0, 255], got %d", name, Resource(r), n)
		}
	}
	keys := slices.Sorted(maps.Keys(c.Stations))
	for _, k := range keys {
		if !isStationName(k) {
			return fmt.Errorf("%s: unknown station %q in Stations (known: %s)", name, k, strings.Join(StationNames(), ", "))
		}
		s := c.Stations[k]
		if s == nil {
			continue
		}
		if s.MaxUses < 0 || s.MaxUses > maxCount {
			return fmt.Errorf("%s: station %s: max_uses must be in [0, %d], got %d", name, k, maxCount, s.MaxUses)
		}
		for i, p := range s.Protocols {
			if err := p.validate(); err != nil {
				return fmt.Errorf("%s: station %s protocol %d: %v", name, k, i, err)
			}
		}
	}
	ch := c.Chest
	if ch.Capacity < 0 || ch.Capacity > 255 {
		return fmt.Errorf("%s: chest capacity must be in [0, 255], got %d", name, ch.Capacity)
	}
	for _, r := range ch.DefaultDeposit {
		if r < 0 || int(r) >= NumResources {
			return fmt.Errorf("%s: chest default deposit: resource id %d out of range", name, r)
		}
	}
	vkeys := make([]int, 0, len(ch.Transfers))
	for v := range ch.Transfers {
		vkeys = append(vkeys, v)
	}
	sort.Ints(vkeys)
	for _, v := range vkeys {
		if v < 0 || v >= NumVibes {
			return fmt.Errorf("%s: chest transfer for vibe id %d: out of range [0, %d)", name, v, NumVibes)
		}
		for r, d := range ch.Transfers[v] {
			if d < -255 || d > 255 {
				return fmt.Errorf("%s: chest transfer for vibe %s: %s delta %d out of range [-255, 255]", name, VibeName(v), Resource(r), d)
			}
		}
	}
	if c.Clip.Period < 0 {
		return fmt.Errorf("%s: clip period must be >= 0, got %d", name, c.Clip.Period)
	}
	return nil
}

// maxCount bounds step counts, cooldowns and use limits, so that step
// arithmetic never overflows.
const maxCount = 1 << 30

func (p *Protocol) validate() error {
	if len(p.Vibes) > 8 {
		return fmt.Errorf("%d vibes; at most 8 agents can stand around a station", len(p.Vibes))
	}
	for _, v := range p.Vibes {
		if v <= 0 || v >= NumVibes {
			return fmt.Errorf("vibe id %d out of range [1, %d) (the default vibe never counts)", v, NumVibes)
		}
	}
	if p.MinAgents < 0 || p.MinAgents > 8 {
		return fmt.Errorf("min_agents must be in [0, 8], got %d", p.MinAgents)
	}
	if p.Cooldown < 0 || p.Cooldown > maxCount {
		return fmt.Errorf("cooldown must be in [0, %d], got %d", maxCount, p.Cooldown)
	}
	for r := 0; r < NumResources; r++ {
		if p.Inputs[r] < 0 || p.Inputs[r] > 255 {
			return fmt.Errorf("input %s = %d out of range [0, 255]", Resource(r), p.Inputs[r])
		}
		if p.Outputs[r] < 0 || p.Outputs[r] > 255 {
			return fmt.Errorf("output %s = %d out of range [0, 255]", Resource(r), p.Outputs[r])
		}
	}
	return nil
}
