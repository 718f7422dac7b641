package maps

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dafscript/dafscript/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Generated maps are pinned: a change of generator or RNG shows here.
func TestGeneratorGolden(t *testing.T) {
	hello, err := Arena(1, HelloWorld)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []struct {
		file string
		m    *sim.Map
	}{
		{"base_hub_seed1_4agents.txt", BaseHub(1, 4)},
		{"base_hub_seed2_1agent.txt", BaseHub(2, 1)},
		{"base_hub_seed3_8agents.txt", BaseHub(3, 8)},
		{"assembler_2_seed1.txt", Assembler2(1)},
		{"hello_world_seed1.txt", hello},
	} {
		got := strings.Join(Rows(g.m), "\n") + "\n"
		path := filepath.Join("testdata", g.file)
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from the generator's output (go test -update rewrites it):\n%s", path, got)
		}
	}
}

func TestGeneratorsDeterministic(t *testing.T) {
	gens := []struct {
		name string
		gen  func(seed uint64) *sim.Map
	}{
		{"base_hub(4)", func(s uint64) *sim.Map { return BaseHub(s, 4) }},
		{"base_hub(2)", func(s uint64) *sim.Map { return BaseHub(s, 2) }},
		{"assembler_2", Assembler2},
		{"hello_world", func(s uint64) *sim.Map { m, _ := Arena(s, HelloWorld); return m }},
	}
	for _, g := range gens {
		distinct := map[string]bool{}
		for seed := uint64(0); seed < 8; seed++ {
			a, b := g.gen(seed), g.gen(seed)
			if !cmp.Equal(a, b) {
				t.Errorf("%s: seed %d gives two different maps", g.name, seed)
			}
			distinct[strings.Join(Rows(a), "\n")] = true
		}
		// BaseHub has 8 orientations (more with pads removed); the
		// others far more layouts. Eight seeds must not all coincide.
		if len(distinct) < 3 {
			t.Errorf("%s: 8 seeds gave only %d distinct maps", g.name, len(distinct))
		}
	}
	a, _ := Arena(1, Machina1)
	b, _ := Arena(2, Machina1)
	if cmp.Equal(a, b) {
		t.Error("machina_1: seeds 1 and 2 give the same map")
	}
}

func TestBaseHubLayout(t *testing.T) {
	const size, lo, hi, mid = HubSize + 2*Border, Border, Border + HubSize - 1, Border + HubSize/2
	orientations := map[string]bool{}
	for seed := uint64(0); seed < 40; seed++ {
		for _, n := range []int{1, 2, 3, 4, 5, 8} {
			m := BaseHub(seed, n)
			name := fmt.Sprintf("BaseHub(%d, %d)", seed, n)
			if m.Width != size || m.Height != size {
				t.Fatalf("%s: %dx%d, want %dx%d", name, m.Width, m.Height, size, size)
			}
			for r := range size {
				for c := range size {
					if (r < lo || r > hi || c < lo || c > hi) && m.At(r, c) != Wall {
						t.Fatalf("%s: border cell (%d,%d) is %s", name, r, c, m.At(r, c))
					}
				}
			}
			if m.At(mid, mid) != Assembler {
				t.Fatalf("%s: no assembler at the centre", name)
			}
			// Charger and chest 3 cells from the centre, on opposite sides.
			var charger, chest [2]int
			for _, d := range [][2]int{{-3, 0}, {3, 0}, {0, -3}, {0, 3}} {
				switch m.At(mid+d[0], mid+d[1]) {
				case Charger:
					charger = d
				case Chest:
					chest = d
				}
			}
			if charger == [2]int{} || chest != [2]int{-charger[0], -charger[1]} {
				t.Fatalf("%s: charger at %v, chest at %v from the centre", name, charger, chest)
			}
			// Agents: exactly n, 2 cells from the centre when n <= 4.
			cells := AgentCells(m)
			if len(cells) != n {
				t.Fatalf("%s: %d agents", name, len(cells))
			}
			for _, i := range cells {
				dr, dc := abs(i/size-mid), abs(i%size-mid)
				if n <= 4 && dr+dc != 2 || dr > 2 || dc > 2 {
					t.Fatalf("%s: agent at (%d,%d)", name, i/size, i%size)
				}
			}
			// One extractor of each kind, in the corners of the band.
			corners := map[string]bool{}
			for _, p := range [][2]int{{lo + 1, lo + 1}, {lo + 1, hi - 1}, {hi - 1, lo + 1}, {hi - 1, hi - 1}} {
				corners[m.At(p[0], p[1])] = true
			}
			for _, e := range Extractors {
				if !corners[e] || Counts(m)[e] != 1 {
					t.Fatalf("%s: %s not once in a corner", name, e)
				}
			}
			// The ring's 3-wide gates in the middle of each side.
			for _, d := range []int{-1, 0, 1} {
				for _, p := range [][2]int{{mid - 4, mid + d}, {mid + 4, mid + d}, {mid + d, mid - 4}, {mid + d, mid + 4}} {
					if m.At(p[0], p[1]) == Wall {
						t.Fatalf("%s: gate cell %v is a wall", name, p)
					}
				}
			}
			if m.At(mid-4, mid-2) != Wall || m.At(mid+2, mid+4) != Wall {
				t.Fatalf("%s: the ring is open beside a gate", name)
			}
			checkReachable(t, name, m)
			if n == 4 {
				orientations[strings.Join(Rows(m), "\n")] = true
			}
		}
	}
	if len(orientations) != 8 {
		t.Errorf("40 seeds gave %d of the 8 orientations", len(orientations))
	}
}

// checkReachable fails unless every open cell can be reached from the
// first agent and every station has an open, reachable neighbour.
func checkReachable(t *testing.T, name string, m *sim.Map) {
	t.Helper()
	cells := AgentCells(m)
	if len(cells) == 0 {
		t.Fatalf("%s: no agents", name)
	}
	reach := Clone(m)
	fillPockets(reach, cells[0])
	for i, c := range m.Cells {
		if c == Empty && reach.Cells[i] == Wall {
			t.Fatalf("%s: open cell (%d,%d) is unreachable", name, i/m.Width, i%m.Width)
		}
		if c == Wall || c == Empty {
			continue
		}
		ok := false
		r, col := i/m.Width, i%m.Width
		for _, d := range [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
			rr, cc := r+d[0], col+d[1]
			if rr >= 0 && rr < m.Height && cc >= 0 && cc < m.Width {
				if n := reach.At(rr, cc); n == Empty || n == Agent {
					ok = true
				}
			}
		}
		if !ok {
			t.Fatalf("%s: %s at (%d,%d) has no reachable neighbour", name, c, r, col)
		}
	}
}

func TestArena(t *testing.T) {
	for _, cfg := range []ArenaConfig{HelloWorld, Machina1} {
		m, err := Arena(7, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if m.Width != cfg.Width+2*Border || m.Height != cfg.Height+2*Border {
			t.Errorf("%s: %dx%d", cfg.Name, m.Width, m.Height)
		}
		c := Counts(m)
		for _, e := range Extractors {
			if c[e] != cfg.Extractors+1 { // the hub has one of each
				t.Errorf("%s: %d %s, want %d", cfg.Name, c[e], e, cfg.Extractors+1)
			}
		}
		if c[Charger] != cfg.Chargers+1 || c[Assembler] != 1 || c[Chest] != 1 || c[Agent] != cfg.NumAgents {
			t.Errorf("%s: counts %v", cfg.Name, c)
		}
		if c[Wall] < (m.Width*m.Height - cfg.Width*cfg.Height + cfg.Walls) {
			t.Errorf("%s: only %d walls", cfg.Name, c[Wall])
		}
		checkReachable(t, cfg.Name, m)
	}
	bad := []ArenaConfig{
		{Name: "tiny", Width: 10, Height: 10, NumAgents: 1},
		{Name: "crowd", Width: 50, Height: 50, NumAgents: 9},
		{Name: "packed", Width: 20, Height: 20, NumAgents: 1, Extractors: 100},
		{Name: "negative", Width: 50, Height: 50, NumAgents: 1, Chargers: -1},
	}
	for _, cfg := range bad {
		if _, err := Arena(1, cfg); err == nil || !strings.HasPrefix(err.Error(), "arena "+cfg.Name) {
			t.Errorf("Arena(%s) error = %v", cfg.Name, err)
		}
	}
}

func TestAssembler2(t *testing.T) {
	for seed := uint64(0); seed < 50; seed++ {
		m := Assembler2(seed)
		name := fmt.Sprintf("Assembler2(%d)", seed)
		if m.Width != 20 || m.Height != 20 {
			t.Fatalf("%s: %dx%d", name, m.Width, m.Height)
		}
		want := map[string]int{Agent: 4, Assembler: 1, Chest: 1, Charger: 1, Wall: 400 - 100,
			"carbon_extractor": 1, "oxygen_extractor": 1, "germanium_extractor": 1, "silicon_extractor": 1}
		want[Empty] = 100 - 11
		if d := cmp.Diff(want, Counts(m)); d != "" {
			t.Fatalf("%s: counts (-want +got):\n%s", name, d)
		}
		checkReachable(t, name, m)
	}
}

func BenchmarkArenaMachina1(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		if _, err := Arena(uint64(i), Machina1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseExtractorHub100(b *testing.B) {
	src, err := data.ReadFile("data/evals/extractor_hub_100x100.map")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Parse("x.map", src); err != nil {
			b.Fatal(err)
		}
	}
}

// Open serves a parsed copy from its cache: compare with
// BenchmarkParseExtractorHub100, the same file parsed each time.
func BenchmarkOpenExtractorHub100(b *testing.B) {
	for b.Loop() {
		if _, err := Open("evals/extractor_hub_100x100"); err != nil {
			b.Fatal(err)
		}
	}
}
