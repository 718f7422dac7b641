package sim

import (
	"os"
	"strings"
	"testing"
)

// asciiMap builds a Map from rows: '#' wall, '.' empty, '@' agent,
// '+' charger, '=' chest, '&' assembler, 'c' 'o' 'g' 's' extractors, and
// 'C' 'O' 'G' 'S' extractors that start clipped.
func asciiMap(t testing.TB, rows ...string) *Map {
	t.Helper()
	names := map[byte]string{
		'#': "wall", '.': "empty", '@': "agent.agent", '+': "charger", '=': "chest", '&': "assembler",
		'c': "carbon_extractor", 'o': "oxygen_extractor", 'g': "germanium_extractor", 's': "silicon_extractor",
		'C': "clipped_carbon_extractor", 'O': "clipped_oxygen_extractor", 'G': "clipped_germanium_extractor",
		'S': "clipped_silicon_extractor",
	}
	m := &Map{Name: "test", Height: len(rows), Width: len(rows[0])}
	for r, row := range rows {
		if len(row) != m.Width {
			t.Fatalf("row %d has width %d, want %d", r, len(row), m.Width)
		}
		for c := 0; c < len(row); c++ {
			n, ok := names[row[c]]
			if !ok {
				t.Fatalf("row %d col %d: unknown character %q", r, c, row[c])
			}
			m.Cells = append(m.Cells, n)
		}
	}
	return m
}

// withBorder surrounds rows with a wall border of width w.
func withBorder(w int, rows ...string) []string {
	width := len(rows[0]) + 2*w
	full := strings.Repeat("#", width)
	var out []string
	for i := 0; i < w; i++ {
		out = append(out, full)
	}
	for _, r := range rows {
		out = append(out, strings.Repeat("#", w)+r+strings.Repeat("#", w))
	}
	for i := 0; i < w; i++ {
		out = append(out, full)
	}
	return out
}

// testConfig returns a default game on the given rows.
func testConfig(t testing.TB, rows ...string) *GameConfig {
	t.Helper()
	m := asciiMap(t, rows...)
	n := 0
	for _, c := range m.Cells {
		if c == "agent.agent" {
			n++
		}
	}
	return &GameConfig{
		Name:      "test",
		Map:       m,
		NumAgents: n,
		MaxSteps:  1000,
		Agent:     DefaultAgentConfig(),
		Stations:  DefaultStations(),
		Chest:     DefaultChestConfig(),
	}
}

func newTestEnv(t testing.TB, cfg *GameConfig, seed uint64) *Env {
	t.Helper()
	e, err := NewEnv(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// trainingFacility1Rows is training_facility_open_1 as CoGames runs it:
// the 21x21 file with a 5-wall border (31x31).
var trainingFacility1Inner = []string{
	"#####################",
	"#####################",
	"#####################",
	"#####################",
	"#####################",
	"#####...........#####",
	"#####...........#####",
	"#####..c..+..o..#####",
	"#####.....@.....#####",
	"#####...........#####",
	"#####...@.&.@...#####",
	"#####...........#####",
	"#####.....@.....#####",
	"#####..g..=..s..#####",
	"#####...........#####",
	"#####...........#####",
	"#####################",
	"#####################",
	"#####################",
	"#####################",
	"#####################",
}

// trainingFacility1 returns the training_facility_1 config, reading the
// shared map file when present and the inline copy otherwise.
func trainingFacility1(t testing.TB) *GameConfig {
	t.Helper()
	rows := trainingFacility1Inner
	if data, err := os.ReadFile("/work/shared/maps/training_facility/training_facility_open_1.map"); err == nil {
		if r := mapDataRows(string(data)); len(r) > 0 {
			rows = r
		}
	}
	return testConfig(t, withBorder(5, rows...)...)
}

// mapDataRows extracts the map_data block of a map file.
func mapDataRows(s string) []string {
	var rows []string
	in := false
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "map_data:") {
			in = true
			continue
		}
		if in {
			if !strings.HasPrefix(l, "  ") {
				break
			}
			rows = append(rows, strings.TrimSpace(l))
		}
	}
	return rows
}
