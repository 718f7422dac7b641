package mission

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/maps"
)

// The catalog GAME.md asks for, besides evals.* and diagnostics.*.
var required = []string{
	"training_facility_1", "training_facility_2", "training_facility_3",
	"training_facility_4", "training_facility_5", "training_facility_6", "assembler_2",
	"training_facility.harvest", "training_facility.vibe_check", "training_facility.repair",
	"training_facility.easy_hearts_training_facility", "hello_world.easy_hearts_hello_world",
	"hello_world.hello_world_unclip", "hello_world.open_world", "machina_1.open_world",
}

func TestCatalogNames(t *testing.T) {
	names := Names()
	if !slices.IsSorted(names) {
		t.Error("Names() is not sorted")
	}
	for _, n := range required {
		if !slices.Contains(names, n) {
			t.Errorf("catalog lacks %s", n)
		}
	}
	// One mission per evals/ and diagnostic_evals/ map.
	for _, long := range maps.Names() {
		folder, file, _ := strings.Cut(long, "/")
		want := map[string]string{"evals": "evals.", "diagnostic_evals": "diagnostics."}[folder]
		if want != "" && !slices.Contains(names, want+file) {
			t.Errorf("catalog lacks %s%s", want, file)
		}
	}
	if len(names) != len(required)+15+14 {
		t.Errorf("catalog has %d missions, want %d", len(names), len(required)+15+14)
	}
	cat := Catalog()
	if len(cat) != len(names) {
		t.Fatalf("Catalog() has %d missions, Names() %d", len(cat), len(names))
	}
	for i, m := range cat {
		if m.Name != names[i] || m.Description == "" {
			t.Errorf("Catalog()[%d] = %q (%q)", i, m.Name, m.Description)
		}
	}
}

// Every catalog mission, plain and with each suffix, builds a config
// that the engine accepts, with the advertised agents, steps and size.
func TestEveryMissionBuilds(t *testing.T) {
	for _, base := range Names() {
		for _, name := range []string{base, base + ":easy", base + ":shaped"} {
			m, err := Get(name)
			if err != nil {
				t.Errorf("Get(%q): %v", name, err)
				continue
			}
			cfg, err := m.Build(3)
			if err != nil {
				t.Errorf("%s: Build: %v", name, err)
				continue
			}
			if cfg.NumAgents != m.NumAgents || cfg.MaxSteps != m.MaxSteps || cfg.Name != m.Name {
				t.Errorf("%s: config says %d agents, %d steps, name %q; mission %d, %d, %q",
					name, cfg.NumAgents, cfg.MaxSteps, cfg.Name, m.NumAgents, m.MaxSteps, m.Name)
			}
			if cfg.Map.Width != m.Width || cfg.Map.Height != m.Height {
				t.Errorf("%s: map %dx%d, mission says %dx%d", name, cfg.Map.Width, cfg.Map.Height, m.Width, m.Height)
			}
			if n := len(maps.AgentCells(cfg.Map)); n != m.NumAgents {
				t.Errorf("%s: %d agent cells for %d agents", name, n, m.NumAgents)
			}
			if err := cfg.Validate(); err != nil {
				t.Errorf("%s: Validate: %v", name, err)
				continue
			}
			if name != base {
				continue // NewEnv once per map is enough
			}
			env, err := sim.NewEnv(cfg, 5)
			if err != nil {
				t.Errorf("%s: NewEnv: %v", name, err)
				continue
			}
			if env.NumAgents() != m.NumAgents {
				t.Errorf("%s: env has %d agents, mission %d", name, env.NumAgents(), m.NumAgents)
			}
			actions := make([]int32, env.NumAgents())
			rng := sim.NewRNG(1)
			for range 20 {
				for i := range actions {
					actions[i] = int32(rng.Intn(sim.NumActions))
				}
				env.Step(actions)
			}
		}
	}
}

func TestAgentCounts(t *testing.T) {
	tests := map[string]int{
		"training_facility_1": 4, "training_facility_2": 4, "training_facility_6": 4, "assembler_2": 4,
		"training_facility.harvest": 1, "training_facility.vibe_check": 4, "training_facility.repair": 2,
		"hello_world.hello_world_unclip": 4, "machina_1.open_world": 4,
		"evals.extractor_hub_30x30": 8, "evals.extractor_hub_50x50": 7, "diagnostics.diagnostic_chest_near": 1,
	}
	for name, want := range tests {
		m, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		if m.NumAgents != want {
			t.Errorf("%s: %d agents, want %d", name, m.NumAgents, want)
		}
	}
}

func TestSizesAndSteps(t *testing.T) {
	tests := []struct {
		name          string
		width, height int
		steps         int
	}{
		{"training_facility_1", 31, 31, 1000}, // 21x21 file + the 5-cell border
		{"training_facility_2", 41, 41, 1000},
		{"training_facility.harvest", 23, 23, 1000}, // 13x13 hub + border
		{"assembler_2", 20, 20, 1000},
		{"hello_world.open_world", 110, 110, 1000},
		{"machina_1.open_world", 210, 210, 1000},
		{"evals.extractor_hub_30x30", 50, 50, 1000},
		{"diagnostics.diagnostic_chest_near", 50, 42, 50},
		{"diagnostics.diagnostic_radial", 60, 59, 250},
	}
	for _, tt := range tests {
		m, err := Get(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		if m.Width != tt.width || m.Height != tt.height || m.MaxSteps != tt.steps {
			t.Errorf("%s: %dx%d, %d steps; want %dx%d, %d", tt.name, m.Width, m.Height, m.MaxSteps, tt.width, tt.height, tt.steps)
		}
	}
	for _, n := range Names() {
		if m, _ := Get(n); strings.HasPrefix(n, "diagnostics.") && (m.MaxSteps < 50 || m.MaxSteps > 250) {
			t.Errorf("%s: %d steps, want 50..250", n, m.MaxSteps)
		}
	}
}

func build(t *testing.T, name string, seed uint64) *sim.GameConfig {
	t.Helper()
	m, err := Get(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := m.Build(seed)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return cfg
}

func heartRecipes(cfg *sim.GameConfig) []sim.Protocol {
	var out []sim.Protocol
	for _, p := range cfg.Stations["assembler"].Protocols {
		if p.Outputs[sim.Heart] > 0 {
			out = append(out, p)
		}
	}
	return out
}

func TestEasyHeartsCostOneEach(t *testing.T) {
	for _, name := range []string{"training_facility_1:easy", "evals.eval_clip_oxygen:easy", "hello_world.easy_hearts_hello_world"} {
		cfg := build(t, name, 1)
		hr := heartRecipes(cfg)
		if len(hr) != 4 {
			t.Fatalf("%s: %d heart recipes", name, len(hr))
		}
		for _, p := range hr {
			var want [sim.NumResources]int
			for _, r := range []sim.Resource{sim.Energy, sim.Carbon, sim.Oxygen, sim.Germanium, sim.Silicon} {
				want[r] = 1
			}
			if p.Inputs != want {
				t.Errorf("%s: heart recipe %v costs %v", name, p.Vibes, p.Inputs)
			}
		}
		if cfg.Agent.HeartLimit != 255 {
			t.Errorf("%s: heart limit %d", name, cfg.Agent.HeartLimit)
		}
	}
	plain := build(t, "training_facility_1", 1)
	if p := heartRecipes(plain)[0]; p.Inputs[sim.Carbon] != 10 || p.Inputs[sim.Silicon] != 30 {
		t.Errorf("plain heart costs %v", p.Inputs)
	}
	if plain.Reward.HeartChorus || !build(t, "training_facility_1:shaped", 1).Reward.HeartChorus {
		t.Error(":shaped should turn on HeartChorus, and only it")
	}
	// recipe_reward reads the recipe as the variants before it left it.
	for name, want := range map[string][sim.NumResources]int{
		"training_facility_1:shaped+recipe_reward": {sim.Carbon: 10, sim.Oxygen: 10, sim.Germanium: 2, sim.Silicon: 30},
		"training_facility_1:easy+recipe_reward":   {sim.Carbon: 1, sim.Oxygen: 1, sim.Germanium: 1, sim.Silicon: 1},
	} {
		if got := build(t, name, 1).Reward.RecipeNeed; got != want {
			t.Errorf("%s: recipe need %v, want %v", name, got, want)
		}
	}
	if plain.Reward.RecipeNeed != [sim.NumResources]int{} {
		t.Error("recipe shaping is on without recipe_reward")
	}
}

func TestVariantsComposeInOrder(t *testing.T) {
	tests := []struct {
		name  string
		check func(cfg *sim.GameConfig) string
	}{
		{"training_facility_1+dark_side+super_charged", func(c *sim.GameConfig) string {
			return want("regen", c.Agent.EnergyRegen, 2)
		}},
		{"training_facility_1+super_charged+dark_side", func(c *sim.GameConfig) string {
			return want("regen", c.Agent.EnergyRegen, 0)
		}},
		{"training_facility_1+super_charged+super_charged", func(c *sim.GameConfig) string {
			return want("regen", c.Agent.EnergyRegen, 5)
		}},
		{"training_facility_1+rough_terrain+rough_terrain", func(c *sim.GameConfig) string {
			return want("move cost", c.Agent.MoveCost, 6)
		}},
		{"training_facility_1+energized+dark_side", func(c *sim.GameConfig) string {
			return want("regen", c.Agent.EnergyRegen, 0) + want("energy limit", c.Agent.EnergyLimit, 255)
		}},
		{"training_facility_1+pack_rat", func(c *sim.GameConfig) string {
			a := c.Agent
			return want("energy", a.EnergyLimit, 255) + want("heart", a.HeartLimit, 255) +
				want("cargo", a.CargoLimit, 255) + want("gear", a.GearLimit, 255)
		}},
		{"training_facility_1+mined_out", func(c *sim.GameConfig) string {
			s := c.Stations
			return want("carbon per use", s["carbon_extractor"].Protocols[0].Outputs[sim.Carbon], 1) +
				want("oxygen cooldown", s["oxygen_extractor"].Protocols[0].Cooldown, 200) +
				want("silicon per use", s["silicon_extractor"].Protocols[0].Outputs[sim.Silicon], 7) +
				want("germanium efficiency", s["germanium_extractor"].Efficiency, 50) +
				want("charger energy", s["charger"].Protocols[0].Outputs[sim.Energy], 50)
		}},
		{"training_facility_1+mined_out+mined_out", func(c *sim.GameConfig) string {
			return want("efficiency", c.Stations["silicon_extractor"].Efficiency, 1) +
				want("silicon per use", c.Stations["silicon_extractor"].Protocols[0].Outputs[sim.Silicon], 1)
		}},
		{"training_facility_1+solar_flare", func(c *sim.GameConfig) string {
			return want("charger energy", c.Stations["charger"].Protocols[0].Outputs[sim.Energy], 25) +
				want("carbon per use", c.Stations["carbon_extractor"].Protocols[0].Outputs[sim.Carbon], 2)
		}},
		// Tuning first, then halving the silicon per use, keeps the tuned
		// uses; the other order tunes to the halved amount.
		{"training_facility_1+extractor_heart_tune(2)+mined_out", func(c *sim.GameConfig) string {
			return want("silicon uses", c.Stations["silicon_extractor"].MaxUses, 4) // ceil(60/15)
		}},
		{"training_facility_1+mined_out+extractor_heart_tune(2)", func(c *sim.GameConfig) string {
			return want("silicon uses", c.Stations["silicon_extractor"].MaxUses, 9) // ceil(60/7)
		}},
		{"training_facility_1+lonely_heart+extractor_heart_tune(3)", func(c *sim.GameConfig) string {
			return want("carbon uses", c.Stations["carbon_extractor"].MaxUses, 2) + // ceil(3*1/2)
				want("silicon uses", c.Stations["silicon_extractor"].MaxUses, 1)
		}},
		{"training_facility_1+clip_period_on", func(c *sim.GameConfig) string { return want("clip period", c.Clip.Period, 50) }},
		{"training_facility_1+clip_period_on(7)", func(c *sim.GameConfig) string { return want("clip period", c.Clip.Period, 7) }},
		{"training_facility_1+ clip_period_on( 7 ) ", func(c *sim.GameConfig) string { return want("clip period", c.Clip.Period, 7) }},
		{"training_facility_1+clip_hub_stations", func(c *sim.GameConfig) string {
			var got []string
			for _, n := range sim.StationNames() {
				if c.Stations[n].StartClipped {
					got = append(got, n)
				}
			}
			if !slices.Equal(got, []string{"carbon_extractor", "charger", "germanium_extractor", "oxygen_extractor", "silicon_extractor"}) {
				return "clipped " + strings.Join(got, ",")
			}
			return ""
		}},
		{"training_facility_1+single_use_swarm", func(c *sim.GameConfig) string {
			return want("charger uses", c.Stations["charger"].MaxUses, 1) + want("carbon uses", c.Stations["carbon_extractor"].MaxUses, 1)
		}},
		{"training_facility_1+vibe_check_min_2", func(c *sim.GameConfig) string {
			return want("heart recipes", len(heartRecipes(c)), 3) + want("assembler protocols", len(c.Stations["assembler"].Protocols), 7)
		}},
	}
	for _, tt := range tests {
		if msg := tt.check(build(t, tt.name, 1)); msg != "" {
			t.Errorf("%s:%s", tt.name, msg)
		}
	}
}

func want(what string, got, want int) string {
	if got == want {
		return ""
	}
	return " " + what + " = " + strconv.Itoa(got) + ", want " + strconv.Itoa(want)
}

func TestSiteMissions(t *testing.T) {
	h := build(t, "training_facility.harvest", 1)
	s := h.Stations
	// extractor_heart_tune(10) on the normal recipe (10 C, 10 O, 2 G, 30 S),
	// then pack_rat, then lonely_heart (which frees the germanium extractor).
	for _, c := range []struct {
		station string
		uses    int
	}{{"carbon_extractor", 50}, {"oxygen_extractor", 10}, {"silicon_extractor", 20}, {"germanium_extractor", 0}} {
		if s[c.station].MaxUses != c.uses {
			t.Errorf("harvest: %s max uses %d, want %d", c.station, s[c.station].MaxUses, c.uses)
		}
	}
	if h.Agent.CargoLimit != 255 || heartRecipes(h)[0].Inputs[sim.Carbon] != 1 {
		t.Error("harvest: pack_rat or lonely_heart missing")
	}
	m, _ := Get("training_facility.harvest+dark_side+rough_terrain")
	if !slices.Equal(m.Variants, []string{"extractor_heart_tune(10)", "pack_rat", "lonely_heart", "dark_side", "rough_terrain"}) {
		t.Errorf("harvest+...: variants %q", m.Variants)
	}

	r := build(t, "training_facility.repair", 1)
	if r.Clip.Period != 50 || r.NumAgents != 2 {
		t.Errorf("repair: clip period %d, %d agents", r.Clip.Period, r.NumAgents)
	}
	if r.Stations["carbon_extractor"].StartClipped || !r.Stations["oxygen_extractor"].StartClipped ||
		!r.Stations["silicon_extractor"].StartClipped || !r.Stations["germanium_extractor"].StartClipped {
		t.Error("repair: wrong stations start clipped")
	}
	if build(t, "hello_world.hello_world_unclip", 1).Clip.Period != 50 {
		t.Error("hello_world_unclip: clip period should be 50")
	}
	a := build(t, "assembler_2", 1)
	for _, p := range heartRecipes(a) {
		if len(p.Vibes) < 2 {
			t.Errorf("assembler_2: heart recipe for %d vibes", len(p.Vibes))
		}
	}
	// The clipped training facility: its four extractors start clipped.
	c := build(t, "training_facility_6", 1)
	for _, n := range maps.Extractors {
		if !c.Stations[n].StartClipped {
			t.Errorf("training_facility_6: %s does not start clipped", n)
		}
	}
	if c.Stations["charger"].StartClipped {
		t.Error("training_facility_6: the charger starts clipped")
	}
}

func TestBuildIsFreshAndSeeded(t *testing.T) {
	m, _ := Get("training_facility.vibe_check+pack_rat")
	a, _ := m.Build(11)
	b, _ := m.Build(11)
	if !cmp.Equal(a, b) {
		t.Error("same seed, different configs")
	}
	a.Agent.EnergyRegen = 99
	a.Stations["charger"].Protocols[0].Outputs[sim.Energy] = 1
	a.Map.Cells[0] = "agent"
	c, _ := m.Build(11)
	if !cmp.Equal(b, c) {
		t.Error("changing a built config changed the next build")
	}
	// Generated maps follow the seed.
	h, _ := Get("hello_world.open_world")
	x, _ := h.Build(1)
	y, _ := h.Build(2)
	if cmp.Equal(x.Map, y.Map) {
		t.Error("hello_world: seeds 1 and 2 give the same map")
	}
}

func TestGetErrors(t *testing.T) {
	tests := []struct{ name, want string }{
		{"traning_facility_1", `unknown mission "traning_facility_1" (did you mean training_facility_1`},
		{"training_facility.harvst", `(did you mean training_facility.harvest, `},
		{"asembler_2:easy", `unknown mission "asembler_2" (did you mean assembler_2?)`},
		{"training_facility_1:hard", `unknown suffix ":hard" (want :easy or :shaped)`},
		{"training_facility_1+dark_sid", `unknown variant "dark_sid" (did you mean dark_side?)`},
		{"training_facility_1+qqqqqqqq", `unknown variant "qqqqqqqq" (variants: clip_base_except_carbon, `},
		{"training_facility_1+", `empty variant after '+'`},
		{"training_facility_1+pack_rat(3)", `variant pack_rat takes no argument`},
		{"training_facility_1+clip_period_on(x)", `want clip_period_on(N) with an integer period`},
		{"training_facility_1+clip_period_on(3", `want clip_period_on(N)`},
		{"training_facility_1+extractor_heart_tune(0)", `hearts must be in [1, 100], got 0`},
	}
	for _, tt := range tests {
		_, err := Get(tt.name)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Get(%q) error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

func TestCanonicalNames(t *testing.T) {
	tests := map[string]string{
		" training_facility_1:easy + dark_side ":       "training_facility_1:easy+dark_side",
		"training_facility_1+clip_period_on(50)":       "training_facility_1+clip_period_on",
		"training_facility_1+extractor_heart_tune(03)": "training_facility_1+extractor_heart_tune(3)",
	}
	for in, want := range tests {
		m, err := Get(in)
		if err != nil {
			t.Fatal(err)
		}
		if m.Name != want {
			t.Errorf("Get(%q).Name = %q, want %q", in, m.Name, want)
		}
		if again, err := Get(m.Name); err != nil || again.Name != m.Name {
			t.Errorf("Get(%q) does not round-trip: %v", m.Name, err)
		}
	}
}

func TestVariantDocs(t *testing.T) {
	names := VariantNames()
	for _, n := range []string{"pack_rat", "lonely_heart", "heart_chorus", "extractor_heart_tune", "clip_period_on",
		"clip_hub_stations", "mined_out", "dark_side", "super_charged", "rough_terrain", "solar_flare", "energized"} {
		if !slices.Contains(names, n) {
			t.Errorf("variant %s missing", n)
		}
	}
	for _, n := range names {
		if VariantDoc(n) == "" {
			t.Errorf("variant %s has no doc", n)
		}
	}
	if VariantDoc("nope") != "" {
		t.Error("VariantDoc of an unknown name")
	}
	if d := VariantDoc("extractor_heart_tune"); !strings.Contains(d, "extractor_heart_tune(N), 1 to 100; default 1") {
		t.Errorf("extractor_heart_tune doc: %s", d)
	}
}

func BenchmarkBuildTrainingFacility1(b *testing.B) {
	m, err := Get("training_facility_1")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		if _, err := m.Build(uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildHarvest(b *testing.B) {
	m, err := Get("training_facility.harvest")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		if _, err := m.Build(uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// Missions are shared between goroutines (one Build per environment).
func TestConcurrentBuild(t *testing.T) {
	names := []string{"training_facility_1", "training_facility.harvest+mined_out", "assembler_2:easy", "evals.extractor_hub_30x30"}
	var wg sync.WaitGroup
	results := make([][]*sim.GameConfig, len(names))
	for i, n := range names {
		m, err := Get(n)
		if err != nil {
			t.Fatal(err)
		}
		results[i] = make([]*sim.GameConfig, 8)
		for j := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cfg, err := m.Build(uint64(j % 2))
				if err != nil {
					t.Error(err)
					return
				}
				results[i][j] = cfg
			}()
		}
	}
	wg.Wait()
	for i, n := range names {
		for j := 2; j < 8; j++ {
			if !cmp.Equal(results[i][j], results[i][j%2]) {
				t.Errorf("%s: concurrent builds with seed %d differ", n, j%2)
			}
		}
	}
}

func FuzzGet(f *testing.F) {
	for _, s := range []string{"training_facility_1", "training_facility_1:easy+dark_side", "x+clip_period_on(5)",
		"assembler_2+extractor_heart_tune(999999999999999999999)", "a:b:c+(+)", "training_facility.harvest+pack_rat("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		m, err := Get(name)
		if err != nil {
			return
		}
		again, err := Get(m.Name)
		if err != nil || again.Name != m.Name || !slices.Equal(again.Variants, m.Variants) {
			t.Fatalf("%q: canonical name %q does not round-trip: %v", name, m.Name, err)
		}
	})
}

func TestCogsOption(t *testing.T) {
	tests := []struct {
		name  string
		canon string
		cogs  int
	}{
		{"training_facility_1+cogs(2)", "training_facility_1+cogs(2)", 2},
		{"training_facility_1:easy + cogs( 1 ) + dark_side", "training_facility_1:easy+cogs(1)+dark_side", 1},
		{"training_facility.harvest+cogs(3)", "training_facility.harvest+cogs(3)", 3},
		{"training_facility.vibe_check+cogs(8)", "training_facility.vibe_check+cogs(8)", 8},
		{"hello_world.open_world+cogs(6)", "hello_world.open_world+cogs(6)", 6},
		{"assembler_2+cogs(2)", "assembler_2+cogs(2)", 2},
		{"evals.extractor_hub_30x30+cogs(3)", "evals.extractor_hub_30x30+cogs(3)", 3},
	}
	for _, tt := range tests {
		m, err := Get(tt.name)
		if err != nil {
			t.Errorf("Get(%q): %v", tt.name, err)
			continue
		}
		if m.Name != tt.canon || m.NumAgents != tt.cogs {
			t.Errorf("Get(%q): name %q, %d cogs; want %q, %d", tt.name, m.Name, m.NumAgents, tt.canon, tt.cogs)
		}
		cfg, err := m.Build(4)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		env, err := sim.NewEnv(cfg, 1)
		if err != nil || env.NumAgents() != tt.cogs {
			t.Errorf("%s: NewEnv: %v", tt.name, err)
		}
	}
	// A map file keeps its first spawn cells in row-major order.
	full, _ := Get("training_facility_1")
	two, _ := Get("training_facility_1+cogs(2)")
	a, _ := full.Build(1)
	b, _ := two.Build(1)
	if got, want := maps.AgentCells(b.Map), maps.AgentCells(a.Map)[:2]; !slices.Equal(got, want) {
		t.Errorf("cogs(2) kept cells %v, want %v", got, want)
	}
	errs := []struct{ name, want string }{
		{"training_facility_1+cogs(5)", "cogs(5): training_facility_1 holds 1 to 4 cogs"},
		{"training_facility.harvest+cogs(9)", "holds 1 to 8 cogs"},
		{"training_facility_1+cogs(0)", "holds 1 to 4 cogs"},
		{"training_facility_1+cogs(2)+cogs(2)", "cogs(N) given twice"},
		{"training_facility_1+cogs(two)", "want cogs(N) with an integer N"},
		{"training_facility_1+cogs", "want cogs(N)"},
		{"training_facility_1+cog(2)", `unknown variant "cog" (did you mean cogs`},
	}
	for _, tt := range errs {
		_, err := Get(tt.name)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Get(%q) error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}
