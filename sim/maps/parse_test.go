package maps

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dafscript/dafscript/sim"
)

func TestEmbeddedMapsLoad(t *testing.T) {
	names := Names()
	if len(names) != 43 {
		t.Errorf("Names() has %d maps, want 43 (6 training_facility, 15 evals, 14 diagnostic_evals, 8 machina)", len(names))
	}
	if !slices.IsSorted(names) {
		t.Error("Names() is not sorted")
	}
	for _, n := range names {
		m, err := Load(n)
		if err != nil {
			t.Errorf("Load(%q): %v", n, err)
			continue
		}
		if m.Width <= 0 || m.Height <= 0 || len(m.Cells) != m.Width*m.Height {
			t.Errorf("%s: %dx%d with %d cells", n, m.Width, m.Height, len(m.Cells))
		}
		if m.Name != filepath.Base(n) {
			t.Errorf("%s: Name = %q", n, m.Name)
		}
		for _, c := range m.Cells {
			if _, ok := Symbols[c]; !ok {
				t.Errorf("%s: cell name %q is not canonical", n, c)
				break
			}
		}
		if len(AgentCells(m)) == 0 {
			t.Errorf("%s: no agent cells", n)
		}
		// The short name finds the same map.
		short, err := Load(filepath.Base(n) + ".map")
		if err != nil || !cmp.Equal(short, m) {
			t.Errorf("Load(short %s) differs: %v", filepath.Base(n), err)
		}
	}
}

// sharedMaps finds the shared map folder, if this checkout has one.
func sharedMaps(t *testing.T) string {
	for _, d := range []string{"../../shared/maps", "../../../shared/maps"} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	t.Skip("no shared/maps folder next to this checkout")
	return ""
}

// Every map file of the shared folder parses, the large ones included, and
// the embedded copies are the same bytes.
func TestSharedMapsLoad(t *testing.T) {
	dir := sharedMaps(t)
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".map") {
			return err
		}
		n++
		f, err := ReadFile(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "large/") {
			return nil
		}
		emb, err := data.ReadFile("data/" + rel)
		if err != nil {
			t.Errorf("%s is not embedded: %v", rel, err)
			return nil
		}
		disk, _ := os.ReadFile(p)
		if !bytes.Equal(emb, disk) {
			t.Errorf("embedded %s differs from %s", rel, p)
		}
		e, _ := Load(strings.TrimSuffix(rel, ".map"))
		if !cmp.Equal(e, f.Map) {
			t.Errorf("%s: embedded and disk maps differ", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 45 {
		t.Errorf("found %d map files in %s, want 45", n, dir)
	}
}

func TestGoldenCounts(t *testing.T) {
	tests := []struct {
		name          string
		width, height int
		counts        map[string]int
		clipped       []string
	}{
		{"training_facility_open_1", 21, 21, map[string]int{
			"wall": 320, "empty": 110, "agent": 4, "assembler": 1, "chest": 1, "charger": 1,
			"carbon_extractor": 1, "oxygen_extractor": 1, "germanium_extractor": 1, "silicon_extractor": 1}, nil},
		{"training_facility_clipped", 31, 31, map[string]int{
			"wall": 520, "empty": 430, "agent": 4, "assembler": 1, "chest": 1, "charger": 1,
			"carbon_extractor": 1, "oxygen_extractor": 1, "germanium_extractor": 1, "silicon_extractor": 1},
			[]string{"carbon_extractor", "germanium_extractor", "oxygen_extractor", "silicon_extractor"}},
		{"diagnostic_evals/diagnostic_resource_lab", 40, 32, map[string]int{
			"wall": 140, "empty": 1128, "agent": 1, "assembler": 1, "chest": 5, "charger": 1,
			"carbon_extractor": 1, "oxygen_extractor": 1, "germanium_extractor": 1, "silicon_extractor": 1}, nil},
		{"diagnostic_agile", 25, 16, map[string]int{ // '1'..'4' are agents, '?' is empty
			"wall": 101, "empty": 275, "agent": 4, "assembler": 1, "chest": 1, "charger": 14,
			"carbon_extractor": 1, "oxygen_extractor": 1, "germanium_extractor": 1, "silicon_extractor": 1}, nil},
		{"evals/extractor_hub_30x30", 40, 40, map[string]int{
			"wall": 952, "empty": 624, "agent": 8, "assembler": 1, "chest": 1, "charger": 5,
			"carbon_extractor": 2, "oxygen_extractor": 2, "germanium_extractor": 3, "silicon_extractor": 2}, nil},
		{"machinatrainersmall", 110, 108, map[string]int{
			"wall": 870, "empty": 9893, "agent": 24, "assembler": 81, "chest": 81, "charger": 575,
			"carbon_extractor": 92, "oxygen_extractor": 85, "germanium_extractor": 92, "silicon_extractor": 87}, nil},
		{"vanilla_small", 19, 19, map[string]int{
			"wall": 262, "empty": 92, "agent": 4, "assembler": 1, "chest": 1, "charger": 1}, nil},
	}
	for _, tt := range tests {
		f, err := Open(tt.name)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if f.Map.Width != tt.width || f.Map.Height != tt.height {
			t.Errorf("%s: %dx%d, want %dx%d", tt.name, f.Map.Width, f.Map.Height, tt.width, tt.height)
		}
		if d := cmp.Diff(tt.counts, Counts(f.Map)); d != "" {
			t.Errorf("%s: counts (-want +got):\n%s", tt.name, d)
		}
		if got := f.StartClipped(); !slices.Equal(got, tt.clipped) {
			t.Errorf("%s: StartClipped = %q, want %q", tt.name, got, tt.clipped)
		}
	}
}

func TestLargeSharedMap(t *testing.T) {
	dir := sharedMaps(t)
	f, err := ReadFile(filepath.Join(dir, "large", "canidate1_500_stations.map"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"wall": 69920, "empty": 188274, "agent": 4, "assembler": 1, "chest": 1, "charger": 714,
		"carbon_extractor": 198, "oxygen_extractor": 217, "germanium_extractor": 212, "silicon_extractor": 559}
	if f.Map.Width != 510 || f.Map.Height != 510 {
		t.Errorf("size %dx%d, want 510x510", f.Map.Width, f.Map.Height)
	}
	if d := cmp.Diff(want, Counts(f.Map)); d != "" {
		t.Errorf("counts (-want +got):\n%s", d)
	}
}

func TestLoadUnknown(t *testing.T) {
	_, err := Load("training_facility_open_l")
	if err == nil || !strings.Contains(err.Error(), "did you mean training_facility_open_1") {
		t.Errorf("Load(typo) error = %v", err)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, src string
		rows      []string // rendered with Symbols
		clipped   []int
	}{
		{"both key spellings: char_to_name_map", "map_data: |-\n  #@\n  .=\nchar_to_name_map:\n  '#': wall\n  '@': agent.agent\n  '.': empty\n  '=': chest\n",
			[]string{"#@", ".="}, nil},
		{"old names", "map_data: |-\n  cos\n  g12\nchar_to_map_name:\n  c: carbon_ex_dep\n  o: oxygen_ex_dep\n  s: silicon_ex_dep\n  g: germanium_ex_dep\n  '1': agent.team_1\n  '2': chest_heart\n",
			[]string{"COS", "G@="}, nil},
		{"clipped stations", "map_data: |-\n  B+\n  @R\nchar_to_map_name:\n  B: clipped_carbon_extractor\n  R: clipped_charger\n  '+': charger\n  '@': agent\n",
			[]string{"C+", "@+"}, []int{0, 3}},
		{"default legend", "map_data: |-\n  #@&\n  +=.\n  COG\n  S..\n",
			[]string{"#@&", "+=.", "COG", "S.."}, nil},
		{"keep-newline block, CRLF, blank lines around", "map_data: |\n\n  #.\r\n  .#\r\n\nchar_to_map_name: {'#': wall, '.': empty}\n",
			[]string{"#.", ".#"}, nil},
		{"both keys agree", "map_data: \"#.\"\nchar_to_map_name: {'#': wall}\nchar_to_name_map: {'.': empty, '#': wall}\n",
			[]string{"#."}, nil},
		{"multibyte characters", "map_data: |-\n  é#\nchar_to_map_name: {'é': empty, '#': wall}\n",
			[]string{".#"}, nil},
	}
	for _, tt := range tests {
		f, err := ParseFile("t.map", []byte(tt.src))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := Rows(f.Map); !slices.Equal(got, tt.rows) {
			t.Errorf("%s: rows %q, want %q", tt.name, got, tt.rows)
		}
		if !slices.Equal(f.ClippedCells, tt.clipped) {
			t.Errorf("%s: clipped %v, want %v", tt.name, f.ClippedCells, tt.clipped)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"unknown character", "type: x\nmap_data: |-\n  ##\n  #x\nchar_to_map_name:\n  '#': wall\n",
			"bad.map:4:2: unknown character 'x'"},
		{"unknown character, keep-newline block", "map_data: |\n  #\n  #\n  ?\nchar_to_map_name: {'#': wall}\n",
			"bad.map:4:1: unknown character '?'"},
		{"ragged", "map_data: |-\n  ###\n  ##\nchar_to_map_name: {'#': wall}\n",
			"bad.map:3: row 2 is 2 characters wide, the first row is 3"},
		{"blank row inside", "map_data: |-\n  ##\n\n  ##\nchar_to_map_name: {'#': wall}\n",
			"bad.map:3: row 2 is 0 characters wide"},
		{"no map_data", "char_to_map_name: {'#': wall}\n", "bad.map: no map_data"},
		{"empty map_data", "map_data: \"\"\n", "bad.map:1: map_data has no rows"},
		{"map_data not a string", "map_data: [a, b]\n", "bad.map:1: map_data must be a string"},
		{"not a mapping", "- a\n- b\n", "bad.map:1: want a YAML mapping"},
		{"empty file", "", "bad.map: empty file"},
		{"yaml syntax", "map_data: |-\n  ##\n char: [\n", "bad.map: yaml: line"},
		{"unknown name", "map_data: \"#\"\nchar_to_map_name:\n  '#': carbon_extrator\n",
			`bad.map:3: character "#": unknown object name "carbon_extrator" (did you mean carbon_extractor`},
		{"clipped assembler", "map_data: \"#\"\nchar_to_map_name:\n  '#': clipped_assembler\n",
			`bad.map:3: character "#": object "assembler" cannot start clipped`},
		{"long key", "map_data: \"#\"\nchar_to_map_name:\n  '##': wall\n", `bad.map:3: character map key "##" must be a single character`},
		{"legend not a mapping", "map_data: \"#\"\nchar_to_map_name: [wall]\n", "bad.map:2: the character map must map"},
		{"name not a string", "map_data: \"#\"\nchar_to_map_name:\n  '#': [wall]\n", `bad.map:3: character "#" must name an object`},
		{"keys disagree", "map_data: \"#\"\nchar_to_map_name: {'#': wall}\nchar_to_name_map: {'#': empty}\n",
			`bad.map:3: character "#" names "empty" here but "wall" on line 2`},
		{"too wide", "map_data: \"" + strings.Repeat("#", MaxSide+1) + "\"\n", "bad.map:1: row is 4097 characters wide, at most 4096 allowed"},
		{"too tall", "map_data: \"" + strings.Repeat("#\\n", MaxSide+1) + "\"\n", "bad.map:1: map_data has 4097 rows, at most 4096 allowed"},
	}
	for _, tt := range tests {
		_, err := Parse("bad.map", []byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

func TestFormatRoundTrip(t *testing.T) {
	for _, m := range []*sim.Map{BaseHub(3, 4), Assembler2(9), mustLoad(t, "diagnostic_radial")} {
		back, err := Parse("round.map", Format(m))
		if err != nil {
			t.Fatalf("%s: %v\n%s", m.Name, err, Format(m))
		}
		back.Name = m.Name
		if d := cmp.Diff(m, back); d != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", m.Name, d)
		}
	}
}

func mustLoad(t *testing.T, name string) *sim.Map {
	t.Helper()
	m, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestKeepAgents(t *testing.T) {
	m, _ := Parse("k.map", []byte("map_data: |-\n  @.@\n  @@.\nchar_to_map_name: {'@': agent, '.': empty}\n"))
	k, err := KeepAgents(m, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := Rows(k); !slices.Equal(got, []string{"@.@", "..."}) {
		t.Errorf("KeepAgents(2) = %q (the last agent cells go first)", got)
	}
	if Rows(m)[1] != "@@." {
		t.Error("KeepAgents changed its input")
	}
	if _, err := KeepAgents(m, 5); err == nil || !strings.Contains(err.Error(), "has 4 agent cells, cannot place 5") {
		t.Errorf("KeepAgents(5) error = %v", err)
	}
}

func TestWithBorder(t *testing.T) {
	m, _ := Parse("b.map", []byte("map_data: |-\n  @.\nchar_to_map_name: {'@': agent, '.': empty}\n"))
	b := WithBorder(m, 2)
	want := []string{"######", "######", "##@.##", "######", "######"}
	if got := Rows(b); !slices.Equal(got, want) {
		t.Errorf("WithBorder = %q, want %q", got, want)
	}
	if b0 := WithBorder(m, 0); !cmp.Equal(b0, m) {
		t.Error("WithBorder(0) should copy the map unchanged")
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"training_facility_open_1", "diagnostic_extract_lab", "vanilla_small"} {
		b, err := data.ReadFile(index()[n])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("map_data: |-\n  #@\nchar_to_map_name: {'#': wall, '@': agent}\n"))
	f.Add([]byte("map_data: &a [*a]\n"))
	f.Add([]byte("map_data: \"\\u0000\"\nchar_to_name_map: {\"\\0\": wall}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fl, err := ParseFile("fuzz.map", b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.map") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		m := fl.Map
		if m.Width < 1 || m.Height < 1 || m.Width > MaxSide || m.Height > MaxSide || len(m.Cells) != m.Width*m.Height {
			t.Fatalf("bad shape %dx%d with %d cells", m.Width, m.Height, len(m.Cells))
		}
		for _, c := range m.Cells {
			if _, ok := Symbols[c]; !ok {
				t.Fatalf("non-canonical cell %q", c)
			}
		}
		for _, i := range fl.ClippedCells {
			if i < 0 || i >= len(m.Cells) {
				t.Fatalf("clipped cell %d out of range", i)
			}
		}
	})
}
