package sim

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStationTable(t *testing.T) {
	type row struct {
		name      string
		eff       int
		protos    int
		in, out   map[Resource]int // of the first protocol
		cooldown  int
		maxUses   int
		partial   bool
		immune    bool
		minAgents []int
	}
	tests := []row{
		{name: "charger", eff: 100, protos: 1, out: map[Resource]int{Energy: 50}, cooldown: 10, partial: true},
		{name: "charger", eff: 50, protos: 1, out: map[Resource]int{Energy: 25}, cooldown: 10, partial: true},
		{name: "carbon_extractor", eff: 100, protos: 1, out: map[Resource]int{Carbon: 2}, maxUses: 25},
		{name: "carbon_extractor", eff: 150, protos: 1, out: map[Resource]int{Carbon: 3}, maxUses: 25},
		{name: "oxygen_extractor", eff: 100, protos: 1, out: map[Resource]int{Oxygen: 10}, cooldown: 100, maxUses: 5, partial: true},
		{name: "oxygen_extractor", eff: 50, protos: 1, out: map[Resource]int{Oxygen: 10}, cooldown: 200, maxUses: 5, partial: true},
		{name: "silicon_extractor", eff: 100, protos: 1, in: map[Resource]int{Energy: 20}, out: map[Resource]int{Silicon: 15}, maxUses: 10},
		{name: "silicon_extractor", eff: 5, protos: 1, in: map[Resource]int{Energy: 20}, out: map[Resource]int{Silicon: 1}, maxUses: 10},
		{name: "germanium_extractor", eff: 100, protos: 4, out: map[Resource]int{Germanium: 2}, maxUses: 1, minAgents: []int{0, 2, 3, 4}},
		{name: "assembler", eff: 100, protos: 8, in: map[Resource]int{Carbon: 10, Oxygen: 10, Germanium: 2, Silicon: 30},
			out: map[Resource]int{Heart: 1}, immune: true},
	}
	for _, tc := range tests {
		s, err := Station(tc.name, tc.eff)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Protocols) != tc.protos || s.MaxUses != tc.maxUses || s.AllowPartialUsage != tc.partial || s.ClipImmune != tc.immune {
			t.Errorf("%s@%d: %d protocols max %d partial %v immune %v", tc.name, tc.eff, len(s.Protocols), s.MaxUses, s.AllowPartialUsage, s.ClipImmune)
			continue
		}
		p := s.Protocols[0]
		var in, out [NumResources]int
		for r, n := range tc.in {
			in[r] = n
		}
		for r, n := range tc.out {
			out[r] = n
		}
		if p.Inputs != in || p.Outputs != out || p.Cooldown != tc.cooldown {
			t.Errorf("%s@%d: protocol 0 = %+v", tc.name, tc.eff, p)
		}
		for i, m := range tc.minAgents {
			if s.Protocols[i].MinAgents != m || s.Protocols[i].Outputs[Germanium] != 2+i {
				t.Errorf("%s protocol %d: %+v", tc.name, i, s.Protocols[i])
			}
		}
	}
	// Assembler: heart protocol i needs i+1 heart_a and makes i+1 hearts;
	// gears take one resource and a gear + <resource>_a pair.
	s, _ := Station("assembler", 100)
	heart, _ := VibeID("heart_a")
	for i := 0; i < 4; i++ {
		p := s.Protocols[i]
		if len(p.Vibes) != i+1 || p.Vibes[0] != heart || p.Outputs[Heart] != i+1 || p.Inputs[Silicon] != 30+15*i || p.Inputs[Germanium] != 2+i {
			t.Errorf("heart protocol %d: %+v", i, p)
		}
	}
	gears := map[Resource]Resource{Carbon: Decoder, Oxygen: Modulator, Germanium: Scrambler, Silicon: Resonator}
	for i, p := range s.Protocols[4:] {
		found := false
		for in, out := range gears {
			if p.Inputs[in] == 1 && p.Outputs[out] == 1 && len(p.Vibes) == 2 {
				found = true
			}
		}
		if !found {
			t.Errorf("gear protocol %d: %+v", i, p)
		}
	}
	if _, err := Station("altar", 100); err == nil || !strings.Contains(err.Error(), "unknown station") {
		t.Errorf("unknown station: %v", err)
	}
	if _, err := Station("charger", 0); err == nil {
		t.Error("efficiency 0 must be refused")
	}
}

func TestDefaults(t *testing.T) {
	a := DefaultAgentConfig()
	if a != (AgentConfig{InitialEnergy: 100, EnergyLimit: 100, HeartLimit: 1, CargoLimit: 100, GearLimit: 5, EnergyRegen: 1, MoveCost: 2, ChargerGift: 20}) {
		t.Errorf("agent defaults %+v", a)
	}
	c := DefaultChestConfig()
	if c.Capacity != 255 || len(c.DefaultDeposit) != 5 || len(c.Transfers) != 10 {
		t.Errorf("chest defaults %+v", c)
	}
	sil, _ := VibeID("silicon_a")
	if c.Transfers[sil][Silicon] != -25 {
		t.Errorf("silicon_a withdraws 25, got %v", c.Transfers[sil])
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *GameConfig)
		want   string
	}{
		{"agent count", func(c *GameConfig) { c.NumAgents = 4 }, "map has 3 agent cells but num_agents is 4"},
		{"unknown object", func(c *GameConfig) { c.Map.Cells[1] = "altar" }, `row 0 col 1: unknown object name "altar"`},
		{"missing station", func(c *GameConfig) { delete(c.Stations, "charger") }, `"charger" has no station configuration`},
		{"cells", func(c *GameConfig) { c.Map.Cells = c.Map.Cells[:3] }, "has 3 cells but width*height is 5*2=10"},
		{"max steps", func(c *GameConfig) { c.MaxSteps = 0 }, "max_steps must be in [1, 1073741824], got 0"},
		{"limit", func(c *GameConfig) { c.Agent.CargoLimit = 300 }, "agent cargo_limit must be in [0, 255]"},
		{"protocol vibe", func(c *GameConfig) { c.Stations["charger"].Protocols[0].Vibes = []int{999} }, "station charger protocol 0: vibe id 999"},
		{"unknown station key", func(c *GameConfig) { c.Stations["altar"] = &StationConfig{} }, `unknown station "altar"`},
		{"chest capacity", func(c *GameConfig) { c.Chest.Capacity = 256 }, "chest capacity"},
		{"clip period", func(c *GameConfig) { c.Clip.Period = -1 }, "clip period"},
		{"recipe need", func(c *GameConfig) { c.Reward.RecipeNeed[Silicon] = 300 }, "reward recipe need of silicon must be in [0, 255], got 300"},
		{"no map", func(c *GameConfig) { c.Map = nil }, "no map"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(t, "@@@+.", "..=..")
			tc.change(c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
			if _, err2 := NewEnv(c, 1); err2 == nil {
				t.Error("NewEnv must refuse an invalid config")
			}
		})
	}
	if err := testConfig(t, "@@@+.", "..=..").Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

func TestCanonicalObject(t *testing.T) {
	tests := []struct {
		in, want string
		clipped  bool
		ok       bool
	}{
		{"agent.agent", "agent", false, true},
		{"agent.team_0", "agent", false, true},
		{"carbon_ex_dep", "carbon_extractor", false, true},
		{"clipped_oxygen_extractor", "oxygen_extractor", true, true},
		{"chest_carbon", "chest", false, true},
		{"", "empty", false, true},
		{"clipped_assembler", "", false, false},
		{"heart_ex_dep", "", false, false},
		{"altar", "", false, false},
	}
	for _, tc := range tests {
		got, clipped, ok := CanonicalObject(tc.in)
		if got != tc.want || clipped != tc.clipped || ok != tc.ok {
			t.Errorf("%q -> %q %v %v", tc.in, got, clipped, ok)
		}
	}
}

func TestCloneIsDeep(t *testing.T) {
	c := testConfig(t, "@+")
	n := c.Clone()
	if diff := cmp.Diff(c, n); diff != "" {
		t.Fatalf("clone differs: %s", diff)
	}
	n.Map.Cells[1] = "wall"
	n.Stations["assembler"].Protocols[0].Vibes[0] = 3
	n.Stations["charger"].MaxUses = 7
	heart, _ := VibeID("heart_a")
	tr := n.Chest.Transfers[heart]
	tr[Heart] = -5
	n.Chest.Transfers[heart] = tr
	n.Chest.DefaultDeposit[0] = Silicon
	if c.Map.Cells[1] != "charger" || c.Stations["assembler"].Protocols[0].Vibes[0] != heart ||
		c.Stations["charger"].MaxUses != 0 || c.Chest.Transfers[heart][Heart] != -1 || c.Chest.DefaultDeposit[0] != Heart {
		t.Error("changing the clone changed the original")
	}
}

// TestEnvOwnsItsConfig: changing the config after NewEnv does not change
// the running env.
func TestEnvOwnsItsConfig(t *testing.T) {
	c := quietConfig(t, "@+")
	e := newTestEnv(t, c, 1)
	c.Agent.MoveCost = 50
	setInv(e, 0, Energy, 10)
	stepOne(e, 0, east)
	if inv(e, 0, Energy) != 58 {
		t.Errorf("energy %d, want 58", inv(e, 0, Energy))
	}
}
