// Package mission is the catalog of Cogs vs Clips missions: a map (a file
// or a seeded generator), a number of cogs, a step limit and variants
// (functions from config to config), addressed by name as
// `base[:easy|:shaped][+variant[(N)]...][+cogs(N)]`.
package mission

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/maps"
	"github.com/dafscript/dafscript/sim/suggest"
)

// DefaultMaxSteps is the step limit of every mission but the diagnostics.
const DefaultMaxSteps = 1000

// Mission is a named, buildable game.
type Mission struct {
	Name, Description string
	Map               string // the map file ("evals/extractor_hub_30x30") or generator ("BaseHub")
	NumAgents         int
	MaxAgents         int // the most cogs a "+cogs(N)" may ask for
	MaxSteps          int
	Width, Height     int      // of the built grid, border included
	Variants          []string // applied variant names, in order, with their argument if any: "extractor_heart_tune(10)"
	// Build returns a fresh config each call: map generators draw from
	// seed, variants are applied in order to a new config.
	Build func(seed uint64) (*sim.GameConfig, error)
}

// base is a catalog entry before suffixes and variants.
type base struct {
	name, doc     string
	mapName       string
	agents        int // 0: every agent cell of the map
	maxAgents     int // the most cogs(N) may ask for; 0: every agent cell of the map
	maxSteps      int
	variants      []string
	width, height int
	// source makes the map for a number of agents, border included,
	// and says which cells start clipped. File maps ignore agents:
	// newConfig drops their extra spawn cells.
	source func(seed uint64, agents int) (*maps.File, error) // its file is read-only

	// sized: width, height, agents and maxAgents are known (catalog
	// entries learn them on first use, from their map: see size).
	sizeOnce sync.Once
	sizeErr  error
}

// size builds b's map once (seed 0 stands for every seed, as no
// generator's size depends on it) for its size and agent counts. The
// catalog does it for a mission when it is first asked for, not for all
// at once: building every map (the 200x200 arenas among them) cost a
// run that names one mission about 50 ms of CPU.
func (b *base) size() error {
	b.sizeOnce.Do(func() {
		f, err := b.source(0, b.agents)
		if err != nil {
			b.sizeErr = fmt.Errorf("mission %s: %w", b.name, err)
			return
		}
		b.width, b.height = f.Map.Width, f.Map.Height
		cells := len(maps.AgentCells(f.Map))
		if b.agents == 0 {
			b.agents = cells
		}
		if b.maxAgents == 0 {
			b.maxAgents = cells
		}
		if b.agents > cells || b.agents < 1 {
			b.sizeErr = fmt.Errorf("mission %s: %d cogs but the map has %d spawn cells", b.name, b.agents, cells)
		}
	})
	return b.sizeErr
}

var (
	catalogOnce sync.Once
	bases       map[string]*base
	catalogErr  error
)

func catalog() (map[string]*base, error) {
	catalogOnce.Do(func() { bases, catalogErr = buildCatalog() })
	return bases, catalogErr
}

// fileSource serves an embedded map file with the CoGames border, built
// once: a source's file is shared and read-only (newConfig copies the
// map before it changes it), so building an environment does not copy
// the map twice more.
func fileSource(name string) func(uint64, int) (*maps.File, error) {
	load := sync.OnceValues(func() (*maps.File, error) {
		f, err := maps.Open(name)
		if err != nil {
			return nil, err
		}
		return bordered(f), nil
	})
	return func(uint64, int) (*maps.File, error) { return load() }
}

// bordered puts the 5-cell wall border around a parsed file, moving its
// clipped cells along.
func bordered(f *maps.File) *maps.File {
	m := maps.WithBorder(f.Map, maps.Border)
	out := &maps.File{Map: m}
	for _, i := range f.ClippedCells {
		r, c := i/f.Map.Width, i%f.Map.Width
		out.ClippedCells = append(out.ClippedCells, (r+maps.Border)*m.Width+c+maps.Border)
	}
	return out
}

// generated serves a generator's map for a number of agents.
func generated(gen func(seed uint64, agents int) (*sim.Map, error)) func(uint64, int) (*maps.File, error) {
	return func(seed uint64, agents int) (*maps.File, error) {
		m, err := gen(seed, agents)
		if err != nil {
			return nil, err
		}
		return &maps.File{Map: m}, nil
	}
}

// Diagnostic step limits, by how far the agent must go and how much it
// must do: 50 for a chest next to the spawn, 100 for small labs, up to
// 250 for searching and multi-step tasks on the larger maps.
var diagnosticSteps = map[string]int{
	"diagnostic_agile":             150,
	"diagnostic_assembler_near":    100,
	"diagnostic_assembler_search":  250,
	"diagnostic_charge_up":         150,
	"diagnostic_chest_navigation1": 250,
	"diagnostic_chest_navigation2": 150,
	"diagnostic_chest_navigation3": 200,
	"diagnostic_chest_near":        50,
	"diagnostic_chest_search":      200,
	"diagnostic_extract_lab":       100,
	"diagnostic_memory":            200,
	"diagnostic_radial":            250,
	"diagnostic_resource_lab":      200,
	"diagnostic_unclip":            200,
}

// DiagnosticMaxSteps applies to a diagnostic map missing from the table.
const DiagnosticMaxSteps = 200

var easyHearts = []string{"lonely_heart", "heart_chorus", "pack_rat"}

func buildCatalog() (map[string]*base, error) {
	out := map[string]*base{}
	add := func(b *base) {
		if b.maxSteps == 0 {
			b.maxSteps = DefaultMaxSteps
		}
		out[b.name] = b
	}
	for i, m := range []string{"open_1", "open_2", "open_3", "tight_4", "tight_5", "clipped"} {
		mapName := "training_facility_" + m
		add(&base{name: fmt.Sprintf("training_facility_%d", i+1), mapName: "training_facility/" + mapName,
			doc:    "Map " + mapName + " with every cog its spawn cells hold.",
			source: fileSource(mapName)})
	}
	add(&base{name: "assembler_2", agents: 4, maxAgents: 4, mapName: "Assembler2", variants: []string{"vibe_check_min_2"},
		doc: "A seeded 10x10 room with one assembler, chest, charger and extractor of each kind; " +
			"hearts need two cogs vibing heart_a.",
		source: generated(func(s uint64, _ int) (*sim.Map, error) { return maps.Assembler2(s), nil })})

	hub := generated(func(s uint64, n int) (*sim.Map, error) { return maps.BaseHub(s, n), nil })
	add(&base{name: "training_facility.harvest", agents: 1, maxAgents: maps.MaxHubAgents, mapName: "BaseHub",
		variants: []string{"extractor_heart_tune(10)", "pack_rat", "lonely_heart"},
		doc:      "One cog in a generated hub; the extractors hold exactly ten hearts' worth.",
		source:   hub})
	add(&base{name: "training_facility.vibe_check", agents: 4, maxAgents: maps.MaxHubAgents, mapName: "BaseHub", variants: []string{"vibe_check_min_2"},
		doc:    "Four cogs in a generated hub; hearts need two or more cogs vibing heart_a.",
		source: hub})
	add(&base{name: "training_facility.repair", agents: 2, maxAgents: maps.MaxHubAgents, mapName: "BaseHub", variants: []string{"clip_period_on", "clip_base_except_carbon"},
		doc: "Two cogs in a generated hub with the clipper on; the oxygen, germanium and silicon " +
			"extractors start clipped, carbon is left to make decoders with.",
		source: hub})
	add(&base{name: "training_facility.easy_hearts_training_facility", agents: 4, maxAgents: maps.MaxHubAgents, mapName: "BaseHub", variants: slices.Clone(easyHearts),
		doc:    "Four cogs in a generated hub; cheap hearts, shaped reward, large inventories.",
		source: hub})
	arena := func(cfg maps.ArenaConfig) func(uint64, int) (*maps.File, error) {
		return generated(func(s uint64, n int) (*sim.Map, error) {
			c := cfg
			c.NumAgents = n
			return maps.Arena(s, c)
		})
	}
	add(&base{name: "hello_world.open_world", agents: maps.HelloWorld.NumAgents, maxAgents: maps.MaxHubAgents, mapName: "Arena hello_world",
		doc:    "Four cogs in a 100x100 generated world: a hub in the middle, walls and stations scattered around.",
		source: arena(maps.HelloWorld)})
	add(&base{name: "hello_world.easy_hearts_hello_world", agents: maps.HelloWorld.NumAgents, maxAgents: maps.MaxHubAgents, mapName: "Arena hello_world", variants: slices.Clone(easyHearts),
		doc:    "hello_world.open_world with cheap hearts, shaped reward and large inventories.",
		source: arena(maps.HelloWorld)})
	add(&base{name: "hello_world.hello_world_unclip", agents: maps.HelloWorld.NumAgents, maxAgents: maps.MaxHubAgents, mapName: "Arena hello_world", variants: []string{"clip_period_on(50)"}, // the default period, spelt out
		doc:    "hello_world.open_world with the clipper on (period 50).",
		source: arena(maps.HelloWorld)})
	add(&base{name: "machina_1.open_world", agents: maps.Machina1.NumAgents, maxAgents: maps.MaxHubAgents, mapName: "Arena machina_1",
		doc:    "Four cogs in a 200x200 generated world: a hub in the middle, walls and stations scattered around.",
		source: arena(maps.Machina1)})

	for _, long := range maps.Names() {
		folder, file := path.Split(long)
		switch folder {
		case "evals/":
			add(&base{name: "evals." + file, mapName: long, doc: "Evaluation map " + long + ".", source: fileSource(long)})
		case "diagnostic_evals/":
			steps, ok := diagnosticSteps[file]
			if !ok {
				steps = DiagnosticMaxSteps
			}
			add(&base{name: "diagnostics." + file, mapName: long, maxSteps: steps, doc: "Diagnostic map " + long + ".", source: fileSource(long)})
		}
	}

	// Sizes and agent counts are learnt on first use (base.size).
	for _, b := range out {
		for i, s := range b.variants {
			v, arg, err := parseVariant(s)
			if err != nil {
				return nil, fmt.Errorf("mission %s: %w", b.name, err)
			}
			b.variants[i] = variantString(v, arg)
		}
	}
	return out, nil
}

// Names returns the base mission names, sorted.
func Names() []string {
	c, err := catalog()
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Catalog returns every base mission, sorted by name.
func Catalog() []*Mission {
	var out []*Mission
	for _, n := range Names() {
		m, err := Get(n)
		if err != nil {
			panic("mission: catalog entry does not build: " + err.Error())
		}
		out = append(out, m)
	}
	return out
}

// CogsOption sets the number of cogs: `+cogs(N)`. It is not a variant
// (it changes the map, not the rules) and may come anywhere after the base.
const CogsOption = "cogs"

// Suffixes: `:easy` applies lonely_heart, `:shaped` heart_chorus.
var suffixes = map[string]string{"easy": "lonely_heart", "shaped": "heart_chorus"}

// Get returns the mission a name selects:
// `base[:easy|:shaped][+variant[(N)]...][+cogs(N)]`, e.g.
// "training_facility_1:easy", "training_facility.harvest+dark_side+rough_terrain",
// "hello_world.open_world+clip_period_on(20)", "training_facility_1+cogs(2)".
// Variants apply in order: the base mission's own, then the suffix's,
// then those after '+'. cogs(N) runs N cogs instead of the mission's
// number: generators make N spawn pads, map files keep their first N
// spawn cells in row-major order.
func Get(name string) (*Mission, error) {
	c, err := catalog()
	if err != nil {
		return nil, err
	}
	parts := strings.Split(strings.TrimSpace(name), "+")
	head := strings.TrimSpace(parts[0])
	baseName, suffix, hasSuffix := strings.Cut(head, ":")
	b, ok := c[baseName]
	if strings.HasPrefix(head, MapPrefix) {
		var rest string
		if b, rest, ok = customBase(head); !ok {
			return nil, fmt.Errorf("unknown mission %q: a map file is read by daf.mission(map=\"FILE\") or --map FILE first", head)
		}
		baseName = b.name
		suffix, hasSuffix = strings.CutPrefix(rest, ":")
	}
	if !ok {
		return nil, fmt.Errorf("unknown mission %q%s", baseName, suggest.Hint(baseName, Names(), 3))
	}
	if !strings.HasPrefix(head, MapPrefix) {
		if err := b.size(); err != nil {
			return nil, err
		}
	}
	applied := append([]string(nil), b.variants...)
	canon := baseName
	agents, cogsSet := b.agents, false
	if hasSuffix {
		v, ok := suffixes[suffix]
		if !ok {
			return nil, fmt.Errorf("mission %q: unknown suffix %q (want :easy or :shaped)", name, ":"+suffix)
		}
		applied = append(applied, v)
		canon += ":" + suffix
	}
	for _, p := range parts[1:] {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("mission %q: empty variant after '+'", name)
		}
		if opt, argText, _ := strings.Cut(p, "("); strings.TrimSpace(opt) == CogsOption {
			n, err := parseArg(CogsOption, "N", p, argText)
			if err == nil && cogsSet {
				err = fmt.Errorf("cogs(N) given twice")
			}
			if err == nil && (n < 1 || n > b.maxAgents) {
				err = fmt.Errorf("cogs(%d): %s holds 1 to %d cogs", n, baseName, b.maxAgents)
			}
			if err != nil {
				return nil, fmt.Errorf("mission %q: %w", name, err)
			}
			agents, cogsSet = n, true
			canon += fmt.Sprintf("+%s(%d)", CogsOption, n)
			continue
		}
		v, arg, err := parseVariant(p)
		if err != nil {
			return nil, fmt.Errorf("mission %q: %w", name, err)
		}
		s := variantString(v, arg)
		applied = append(applied, s)
		canon += "+" + s
	}
	// Every variant string is checked: parse once, keep the funcs.
	type step struct {
		v   *variant
		arg int
	}
	var steps []step
	for _, s := range applied {
		v, arg, _ := parseVariant(s)
		steps = append(steps, step{v, arg})
	}
	m := &Mission{
		Name:        canon,
		Description: b.doc,
		Map:         b.mapName,
		NumAgents:   agents,
		MaxAgents:   b.maxAgents,
		MaxSteps:    b.maxSteps,
		Width:       b.width,
		Height:      b.height,
		Variants:    applied,
	}
	m.Build = func(seed uint64) (*sim.GameConfig, error) {
		f, err := b.source(sim.DeriveSeed(seed, "map:"+baseName, 0), agents)
		if err != nil {
			return nil, fmt.Errorf("mission %s: %w", canon, err)
		}
		cfg, err := newConfig(canon, f, agents, b.maxSteps)
		if err != nil {
			return nil, fmt.Errorf("mission %s: %w", canon, err)
		}
		for _, st := range steps {
			if err := st.v.apply(cfg, st.arg); err != nil {
				return nil, fmt.Errorf("mission %s: variant %s: %w", canon, variantString(st.v, st.arg), err)
			}
		}
		return cfg, nil
	}
	return m, nil
}

// parseVariant reads "name" or "name(N)".
func parseVariant(s string) (*variant, int, error) {
	name, argText, hasArg := strings.Cut(s, "(")
	name = strings.TrimSpace(name)
	v, ok := variants[name]
	if !ok {
		hint := suggest.Hint(name, append(VariantNames(), CogsOption), 3)
		if hint == "" {
			hint = " (variants: " + strings.Join(VariantNames(), ", ") + ")"
		}
		return nil, 0, fmt.Errorf("unknown variant %q%s", name, hint)
	}
	if !hasArg {
		return v, v.def, nil
	}
	if v.param == "" {
		return nil, 0, fmt.Errorf("variant %s takes no argument, got %q", name, s)
	}
	arg, err := parseArg(name, v.param, s, argText)
	if err != nil {
		return nil, 0, fmt.Errorf("variant %w", err)
	}
	if arg < v.min || arg > v.max {
		return nil, 0, fmt.Errorf("variant %s: %s must be in [%d, %d], got %d", name, v.param, v.min, v.max, arg)
	}
	return v, arg, nil
}

// parseArg reads the "N)" that follows "name(" in s.
func parseArg(name, param, s, argText string) (int, error) {
	inner, ok := strings.CutSuffix(strings.TrimSpace(argText), ")")
	arg, err := strconv.Atoi(strings.TrimSpace(inner))
	if !ok || err != nil {
		return 0, fmt.Errorf("%s: want %s(N) with an integer %s, got %q", name, name, param, s)
	}
	return arg, nil
}

func variantString(v *variant, arg int) string {
	if v.param == "" || arg == v.def {
		return v.name
	}
	return fmt.Sprintf("%s(%d)", v.name, arg)
}

// newConfig is a mission's config before variants: the GAME.md agent,
// chest and stations at efficiency 100, the clipper off, the team reward.
func newConfig(name string, f *maps.File, agents, maxSteps int) (*sim.GameConfig, error) {
	m, err := maps.KeepAgents(f.Map, agents)
	if err != nil {
		return nil, err
	}
	cfg := &sim.GameConfig{
		Name:      name,
		Map:       m,
		NumAgents: agents,
		MaxSteps:  maxSteps,
		Agent:     sim.DefaultAgentConfig(),
		Stations:  map[string]*sim.StationConfig{},
		Chest:     sim.DefaultChestConfig(),
	}
	for _, n := range sim.StationNames() {
		s, err := sim.Station(n, 100)
		if err != nil {
			return nil, err
		}
		cfg.Stations[n] = s
	}
	// The engine sets clipping per station type: a type starts clipped
	// when the map marks its cells so, which must then be all of them.
	clipped := map[int]bool{}
	for _, i := range f.ClippedCells {
		clipped[i] = true
	}
	for _, n := range (&maps.File{Map: m, ClippedCells: f.ClippedCells}).StartClipped() {
		for i, cell := range m.Cells {
			if cell == n && !clipped[i] {
				return nil, fmt.Errorf("map %s: some %s cells start clipped and others not (row %d col %d); clipping is set per station type",
					f.Map.Name, n, i/m.Width, i%m.Width)
			}
		}
		cfg.Stations[n].StartClipped = true
	}
	return cfg, nil
}
