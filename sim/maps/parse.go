// Package maps reads the game's ASCII map files (embedded in the binary)
// and generates maps procedurally from a seed.
package maps

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/suggest"
)

// MaxSide bounds the width and the height of a parsed map.
const MaxSide = 4096

// Object names of map cells, as sim.Map holds them.
const (
	Empty     = "empty"
	Wall      = "wall"
	Agent     = "agent"
	Chest     = "chest"
	Assembler = "assembler"
	Charger   = "charger"
)

// Extractors are the four extractor names, in resource order.
var Extractors = []string{"carbon_extractor", "oxygen_extractor", "germanium_extractor", "silicon_extractor"}

// File is a parsed map with what sim.Map cannot say.
type File struct {
	Map *sim.Map
	// ClippedCells are the row-major indices of the cells whose station
	// the file marks as clipped at the start (`clipped_<x>_extractor`).
	ClippedCells []int
}

// StartClipped returns the sorted names of the stations that start
// clipped somewhere on the map.
func (f *File) StartClipped() []string {
	var names []string
	for _, i := range f.ClippedCells {
		names = append(names, f.Map.Cells[i])
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Parse reads a YAML map file: `map_data` holds the grid, one row per
// line, and `char_to_map_name` (or `char_to_name_map`) names each
// character. filename only labels errors.
func Parse(filename string, data []byte) (*sim.Map, error) {
	f, err := ParseFile(filename, data)
	if err != nil {
		return nil, err
	}
	return f.Map, nil
}

// ParseFile is Parse keeping the cells marked as start-clipped.
func ParseFile(filename string, data []byte) (f *File, err error) {
	defer func() {
		// The YAML decoder is third-party code: keep a bad file from
		// crashing the program whatever happens inside it.
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("%s: cannot parse map: %v", filename, r)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty file: want a YAML mapping with map_data and char_to_map_name", filename)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a YAML mapping with map_data and char_to_map_name", filename, root.Line)
	}
	var grid *yaml.Node
	legend := map[rune]legendEntry{}
	haveLegend := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "map_data":
			if v.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("%s:%d: map_data must be a string (a block `|-` of rows)", filename, v.Line)
			}
			grid = v
		case "char_to_map_name", "char_to_name_map":
			haveLegend = true
			if err := readLegend(filename, v, legend); err != nil {
				return nil, err
			}
		}
	}
	if grid == nil {
		return nil, fmt.Errorf("%s: no map_data", filename)
	}
	if !haveLegend {
		for ch, name := range defaultLegend {
			legend[ch] = legendEntry{name: name}
		}
	}
	return readGrid(filename, grid, legend)
}

type legendEntry struct {
	name    string // normalised object name
	clipped bool
	line    int
}

// defaultLegend applies to files that name no characters.
var defaultLegend = map[rune]string{
	'#': Wall, '.': Empty, '@': Agent, '+': Charger, '&': Assembler, '=': Chest,
	'C': "carbon_extractor", 'O': "oxygen_extractor", 'G': "germanium_extractor", 'S': "silicon_extractor",
}

func readLegend(filename string, n *yaml.Node, legend map[rune]legendEntry) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: the character map must map single characters to object names", filename, n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || utf8.RuneCountInString(k.Value) != 1 {
			return fmt.Errorf("%s:%d: character map key %q must be a single character", filename, k.Line, k.Value)
		}
		ch, _ := utf8.DecodeRuneInString(k.Value)
		if ch == '\n' || ch == '\r' {
			return fmt.Errorf("%s:%d: a line break cannot name an object", filename, k.Line)
		}
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s:%d: character %q must name an object (a string)", filename, v.Line, k.Value)
		}
		name, clipped, err := Normalize(v.Value)
		if err != nil {
			return fmt.Errorf("%s:%d: character %q: %w", filename, v.Line, k.Value, err)
		}
		e := legendEntry{name: name, clipped: clipped, line: v.Line}
		if old, ok := legend[ch]; ok && (old.name != e.name || old.clipped != e.clipped) {
			return fmt.Errorf("%s:%d: character %q names %q here but %q on line %d", filename, v.Line, k.Value, v.Value, old.name, old.line)
		}
		legend[ch] = e
	}
	return nil
}

// knownNames are the object names a file may use (besides the old
// spellings Normalize also accepts), for did-you-mean hints.
var knownNames = append([]string{Wall, Empty, "agent.agent", Charger, Assembler, Chest,
	"clipped_carbon_extractor", "clipped_oxygen_extractor", "clipped_germanium_extractor",
	"clipped_silicon_extractor", "clipped_charger",
	"chest_carbon", "chest_oxygen", "chest_germanium", "chest_silicon", "chest_heart"}, Extractors...)

// Normalize maps a name as map files write it to the object name of
// sim.Map, and says whether the station starts clipped:
// `agent.agent`/`agent.<team>` -> agent, `<r>_ex_dep` -> `<r>_extractor`,
// `clipped_<station>` -> the station, clipped; `chest_<resource>` -> chest.
func Normalize(name string) (string, bool, error) {
	switch name {
	case Empty, Wall, Agent, Chest, Assembler, Charger:
		return name, false, nil
	case "":
		return Empty, false, nil
	}
	if rest, ok := strings.CutPrefix(name, "agent."); ok && rest != "" {
		return Agent, false, nil
	}
	if rest, ok := strings.CutPrefix(name, "chest_"); ok {
		if _, ok := sim.ParseResource(rest); ok {
			return Chest, false, nil
		}
	}
	if res, ok := strings.CutSuffix(name, "_ex_dep"); ok && isExtractorResource(res) {
		return res + "_extractor", false, nil
	}
	if res, ok := strings.CutSuffix(name, "_extractor"); ok && isExtractorResource(res) {
		return name, false, nil
	}
	if rest, ok := strings.CutPrefix(name, "clipped_"); ok {
		n, clipped, err := Normalize(rest)
		if err == nil && !clipped && (n == Charger || strings.HasSuffix(n, "_extractor")) {
			return n, true, nil
		}
		if err == nil {
			return "", false, fmt.Errorf("object %q cannot start clipped (only extractors and chargers can)", rest)
		}
	}
	return "", false, fmt.Errorf("unknown object name %q%s", name, suggest.Hint(name, knownNames, 3))
}

func isExtractorResource(r string) bool {
	return r == "carbon" || r == "oxygen" || r == "germanium" || r == "silicon"
}

func readGrid(filename string, n *yaml.Node, legend map[rune]legendEntry) (*File, error) {
	lines := strings.Split(n.Value, "\n")
	// A block scalar (`|` or `|-`) starts on the line after its indicator.
	first := n.Line
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		first++
	}
	// Blank lines before and after the grid are not rows.
	start, end := 0, len(lines)
	for start < end && strings.TrimRight(lines[start], "\r") == "" {
		start++
	}
	for end > start && strings.TrimRight(lines[end-1], "\r") == "" {
		end--
	}
	if start == end {
		return nil, fmt.Errorf("%s:%d: map_data has no rows", filename, n.Line)
	}
	if end-start > MaxSide {
		return nil, fmt.Errorf("%s:%d: map_data has %d rows, at most %d allowed", filename, n.Line, end-start, MaxSide)
	}
	f := &File{Map: &sim.Map{Height: end - start}}
	m := f.Map
	for r := start; r < end; r++ {
		line := first + r
		row := []rune(strings.TrimRight(lines[r], "\r"))
		if r == start {
			if len(row) > MaxSide {
				return nil, fmt.Errorf("%s:%d: row is %d characters wide, at most %d allowed", filename, line, len(row), MaxSide)
			}
			m.Width = len(row)
			m.Cells = make([]string, 0, m.Width*m.Height)
		} else if len(row) != m.Width {
			return nil, fmt.Errorf("%s:%d: row %d is %d characters wide, the first row is %d (rows must all be the same width)",
				filename, line, r-start+1, len(row), m.Width)
		}
		for c, ch := range row {
			e, ok := legend[ch]
			if !ok {
				return nil, fmt.Errorf("%s:%d:%d: unknown character %q (not in char_to_map_name)", filename, line, c+1, ch)
			}
			if e.clipped {
				f.ClippedCells = append(f.ClippedCells, len(m.Cells))
			}
			m.Cells = append(m.Cells, e.name)
		}
	}
	return f, nil
}

// ErrNotFound is wrapped by Load and Open for unknown names.
var ErrNotFound = errors.New("no such map")
