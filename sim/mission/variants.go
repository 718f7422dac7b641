package mission

import (
	"fmt"
	"maps"
	"slices"

	"github.com/dafscript/dafscript/sim"
)

// A variant is a function from config to config. Variants compose: each
// applies to what the ones before it left.
type variant struct {
	name, doc string
	// param names the integer argument a variant may take as name(N);
	// "" when it takes none.
	param    string
	def      int // the argument when none is given
	min, max int
	apply    func(cfg *sim.GameConfig, arg int) error
}

var extractorNames = []string{"carbon_extractor", "oxygen_extractor", "germanium_extractor", "silicon_extractor"}

// variants indexes variantList by name.
var variants = func() map[string]*variant {
	m := make(map[string]*variant, len(variantList))
	for _, v := range variantList {
		if _, dup := m[v.name]; dup {
			panic("mission: variant listed twice: " + v.name)
		}
		m[v.name] = v
	}
	return m
}()

// VariantNames returns the variant names, sorted.
func VariantNames() []string {
	return slices.Sorted(maps.Keys(variants))
}

// VariantDoc returns what a variant changes ("" for an unknown name).
func VariantDoc(name string) string {
	v, ok := variants[name]
	if !ok {
		return ""
	}
	if v.param != "" {
		return fmt.Sprintf("%s Takes %s as %s(N), %d to %d; default %d.", v.doc, v.param, v.name, v.min, v.max, v.def)
	}
	return v.doc
}

// variantList is every variant, in one place.
var variantList = []*variant{
	{name: "pack_rat",
		doc: "Raises the energy, heart, cargo and gear limits to 255.",
		apply: func(cfg *sim.GameConfig, _ int) error {
			a := &cfg.Agent
			a.EnergyLimit, a.HeartLimit, a.CargoLimit, a.GearLimit = 255, 255, 255, 255
			return nil
		}},
	{name: "lonely_heart",
		doc: "Every heart recipe costs 1 energy, carbon, oxygen, germanium and silicon; the heart limit rises to 255; " +
			"the germanium extractor gets unlimited uses, gives at least 1 and cools down at least 1 step.",
		apply: lonelyHeart},
	{name: "heart_chorus",
		doc:   "Shaped reward: +1 per heart gained, +1 per heart deposited in a chest, -1 per heart withdrawn, and 0.17/0.18/0.60/0.97 for inventory diversity >= 2/3/4/5.",
		apply: func(cfg *sim.GameConfig, _ int) error { cfg.Reward.HeartChorus = true; return nil }},
	{name: "recipe_reward",
		doc: "Ours: adds potential-based shaping toward one heart's inputs (the cheapest recipe, read from the " +
			"assembler as configured so far) to the reward: each cog is paid, as it gathers, its progress toward " +
			"the recipe's carbon, oxygen, germanium and silicon (a quarter each, nothing beyond the amount needed), " +
			"and gives it back when the inputs go into a heart.",
		apply: recipeReward},
	{name: "extractor_heart_tune", param: "hearts", def: 1, min: 1, max: 100,
		doc: "Limits the uses of each extractor to what makes N of the cheapest heart recipe (its cost read from " +
			"the assembler as configured so far): carbon, oxygen and silicon uses = ceil(N x cost / amount per use), " +
			"germanium uses = ceil(N x cost / the single-agent amount).",
		apply: extractorHeartTune},
	{name: "clip_period_on", param: "period", def: 50, min: 1, max: 1000000,
		doc:   "Turns the clipper on: each step clips a station with probability 1/period.",
		apply: func(cfg *sim.GameConfig, p int) error { cfg.Clip.Period = p; return nil }},
	{name: "clip_hub_stations",
		doc:   "The four extractors and the charger start clipped (every one of them on the map).",
		apply: startClipped("carbon_extractor", "oxygen_extractor", "germanium_extractor", "silicon_extractor", "charger")},
	{name: "clip_base_except_carbon",
		doc:   "The oxygen, germanium and silicon extractors start clipped; carbon stays free so that decoders can be made.",
		apply: startClipped("oxygen_extractor", "germanium_extractor", "silicon_extractor")},
	{name: "mined_out",
		doc:   "Extractor efficiency -50 (at least 1): carbon 1 per use instead of 2, oxygen cooldown 200, silicon 7 per use.",
		apply: efficiencyDelta(-50, extractorNames...)},
	{name: "solar_flare",
		doc:   "Charger efficiency -50 (at least 1): a charger use gives 25 energy instead of 50.",
		apply: efficiencyDelta(-50, "charger")},
	{name: "resource_bottleneck",
		doc:   "Oxygen, germanium and silicon extractor efficiency -50 (at least 1).",
		apply: efficiencyDelta(-50, "oxygen_extractor", "germanium_extractor", "silicon_extractor")},
	{name: "dark_side",
		doc:   "Energy regeneration 0.",
		apply: func(cfg *sim.GameConfig, _ int) error { cfg.Agent.EnergyRegen = 0; return nil }},
	{name: "super_charged",
		doc:   "Energy regeneration +2 per step.",
		apply: func(cfg *sim.GameConfig, _ int) error { cfg.Agent.EnergyRegen += 2; return nil }},
	{name: "rough_terrain",
		doc:   "A move costs 2 more energy.",
		apply: func(cfg *sim.GameConfig, _ int) error { cfg.Agent.MoveCost += 2; return nil }},
	{name: "energized",
		doc: "Energy limit 255 and regeneration 255: agents never run dry.",
		apply: func(cfg *sim.GameConfig, _ int) error {
			cfg.Agent.EnergyLimit = max(cfg.Agent.EnergyLimit, 255)
			cfg.Agent.EnergyRegen = cfg.Agent.EnergyLimit
			return nil
		}},
	{name: "vibe_check_min_2",
		doc:   "The assembler makes hearts only for 2 or more agents vibing heart_a (the 1-agent recipe is removed).",
		apply: vibeCheckMin2},
	{name: "single_use_swarm",
		doc: "Every extractor and charger can be used once.",
		apply: func(cfg *sim.GameConfig, _ int) error {
			for _, n := range append(slices.Clone(extractorNames), "charger") {
				s, err := station(cfg, n)
				if err != nil {
					return err
				}
				s.MaxUses = 1
			}
			return nil
		}},
}

// station returns the configuration of a named station, which variants
// change in place (Build hands every variant a fresh config).
func station(cfg *sim.GameConfig, name string) (*sim.StationConfig, error) {
	s := cfg.Stations[name]
	if s == nil {
		return nil, fmt.Errorf("the config has no %s station", name)
	}
	return s, nil
}

func isHeartRecipe(p *sim.Protocol) bool { return p.Outputs[sim.Heart] > 0 }

func lonelyHeart(cfg *sim.GameConfig, _ int) error {
	a, err := station(cfg, "assembler")
	if err != nil {
		return err
	}
	for i := range a.Protocols {
		p := &a.Protocols[i]
		if !isHeartRecipe(p) {
			continue
		}
		p.Inputs = [sim.NumResources]int{}
		for _, r := range []sim.Resource{sim.Energy, sim.Carbon, sim.Oxygen, sim.Germanium, sim.Silicon} {
			p.Inputs[r] = 1
		}
	}
	cfg.Agent.HeartLimit = max(cfg.Agent.HeartLimit, 255)
	g, err := station(cfg, "germanium_extractor")
	if err != nil {
		return err
	}
	g.MaxUses = 0
	for i := range g.Protocols {
		p := &g.Protocols[i]
		p.Outputs[sim.Germanium] = max(p.Outputs[sim.Germanium], 1)
		p.Cooldown = max(p.Cooldown, 1)
	}
	return nil
}

// cheapestHeart returns the inputs of the assembler's heart recipe that
// needs the fewest agents (its cheapest), per heart made.
func cheapestHeart(cfg *sim.GameConfig) ([sim.NumResources]int, error) {
	a, err := station(cfg, "assembler")
	if err != nil {
		return [sim.NumResources]int{}, err
	}
	var best *sim.Protocol
	for i := range a.Protocols {
		p := &a.Protocols[i]
		if isHeartRecipe(p) && (best == nil || len(p.Vibes) < len(best.Vibes)) {
			best = p
		}
	}
	if best == nil {
		return [sim.NumResources]int{}, fmt.Errorf("the assembler has no heart recipe")
	}
	var cost [sim.NumResources]int
	for r := range cost {
		cost[r] = (best.Inputs[r] + best.Outputs[sim.Heart] - 1) / best.Outputs[sim.Heart]
	}
	return cost, nil
}

func extractorHeartTune(cfg *sim.GameConfig, hearts int) error {
	cost, err := cheapestHeart(cfg)
	if err != nil {
		return err
	}
	for i, name := range extractorNames {
		r := sim.Carbon + sim.Resource(i)
		s, err := station(cfg, name)
		if err != nil {
			return err
		}
		// The amount one agent alone gets from a use: the vibe-less
		// protocol with the lowest min_agents.
		perUse := 0
		minAgents := 1 << 30
		for _, p := range s.Protocols {
			if len(p.Vibes) == 0 && p.MinAgents < minAgents && p.Outputs[r] > 0 {
				perUse, minAgents = p.Outputs[r], p.MinAgents
			}
		}
		if perUse == 0 {
			return fmt.Errorf("extractor_heart_tune: %s gives no %s", name, r)
		}
		need := hearts * cost[r]
		s.MaxUses = max(1, (need+perUse-1)/perUse)
	}
	return nil
}

func recipeReward(cfg *sim.GameConfig, _ int) error {
	cost, err := cheapestHeart(cfg)
	if err != nil {
		return fmt.Errorf("recipe_reward: %w", err)
	}
	var need [sim.NumResources]int
	for _, r := range []sim.Resource{sim.Carbon, sim.Oxygen, sim.Germanium, sim.Silicon} {
		need[r] = min(cost[r], 255)
	}
	cfg.Reward.RecipeNeed = need
	return nil
}

func startClipped(names ...string) func(*sim.GameConfig, int) error {
	return func(cfg *sim.GameConfig, _ int) error {
		for _, n := range names {
			s, err := station(cfg, n)
			if err != nil {
				return err
			}
			s.StartClipped = true
		}
		return nil
	}
}

// efficiencyDelta changes the efficiency of stations, recomputing only
// the amounts that efficiency scales (charger energy, carbon and silicon
// per use, oxygen cooldown) so that earlier variants' other changes stay.
func efficiencyDelta(delta int, names ...string) func(*sim.GameConfig, int) error {
	return func(cfg *sim.GameConfig, _ int) error {
		for _, n := range names {
			s, err := station(cfg, n)
			if err != nil {
				return err
			}
			if err := setEfficiency(s, n, max(1, s.Efficiency+delta)); err != nil {
				return err
			}
		}
		return nil
	}
}

func setEfficiency(s *sim.StationConfig, name string, eff int) error {
	ref, err := sim.Station(name, eff)
	if err != nil {
		return err
	}
	base := ref.Protocols[0]
	for i := range s.Protocols {
		p := &s.Protocols[i]
		switch name {
		case "charger":
			if p.Outputs[sim.Energy] > 0 {
				p.Outputs[sim.Energy] = base.Outputs[sim.Energy]
			}
		case "carbon_extractor":
			if p.Outputs[sim.Carbon] > 0 {
				p.Outputs[sim.Carbon] = base.Outputs[sim.Carbon]
			}
		case "oxygen_extractor":
			if p.Outputs[sim.Oxygen] > 0 {
				p.Cooldown = base.Cooldown
			}
		case "silicon_extractor":
			if p.Outputs[sim.Silicon] > 0 {
				p.Outputs[sim.Silicon] = base.Outputs[sim.Silicon]
			}
		}
	}
	s.Efficiency = eff
	return nil
}

func vibeCheckMin2(cfg *sim.GameConfig, _ int) error {
	a, err := station(cfg, "assembler")
	if err != nil {
		return err
	}
	heartA, _ := sim.VibeID("heart_a")
	kept := a.Protocols[:0]
	for _, p := range a.Protocols {
		if isHeartRecipe(&p) && (len(p.Vibes) < 2 || slices.ContainsFunc(p.Vibes, func(v int) bool { return v != heartA })) {
			continue
		}
		kept = append(kept, p)
	}
	a.Protocols = kept
	return nil
}
