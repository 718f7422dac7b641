package maps

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dafscript/dafscript/sim"
)

// Symbols are the characters Rows and Format write for each object.
var Symbols = map[string]byte{
	Empty: '.', "": '.', Wall: '#', Agent: '@', Charger: '+', Assembler: '&', Chest: '=',
	"carbon_extractor": 'C', "oxygen_extractor": 'O', "germanium_extractor": 'G', "silicon_extractor": 'S',
}

// New returns a width x height map of empty cells.
func New(name string, width, height int) *sim.Map {
	cells := make([]string, width*height)
	for i := range cells {
		cells[i] = Empty
	}
	return &sim.Map{Name: name, Width: width, Height: height, Cells: cells}
}

// Clone returns a deep copy of m.
func Clone(m *sim.Map) *sim.Map {
	c := *m
	c.Cells = slices.Clone(m.Cells)
	return &c
}

// WithBorder returns a copy of m inside a wall border width cells thick
// on every side, as CoGames puts around every map.
func WithBorder(m *sim.Map, width int) *sim.Map {
	b := New(m.Name, m.Width+2*width, m.Height+2*width)
	for i := range b.Cells {
		b.Cells[i] = Wall
	}
	for r := 0; r < m.Height; r++ {
		copy(b.Cells[(r+width)*b.Width+width:], m.Cells[r*m.Width:(r+1)*m.Width])
	}
	return b
}

// Rows renders m as ASCII rows with Symbols ('?' for other names).
func Rows(m *sim.Map) []string {
	rows := make([]string, m.Height)
	var sb strings.Builder
	for r := range m.Height {
		sb.Reset()
		for c := range m.Width {
			ch, ok := Symbols[m.At(r, c)]
			if !ok {
				ch = '?'
			}
			sb.WriteByte(ch)
		}
		rows[r] = sb.String()
	}
	return rows
}

// Format writes m as a map file that Parse reads back.
func Format(m *sim.Map) []byte {
	var sb strings.Builder
	sb.WriteString("map_data: |-\n")
	for _, row := range Rows(m) {
		sb.WriteString("  " + row + "\n")
	}
	sb.WriteString("char_to_map_name:\n")
	names := make([]string, 0, len(Symbols))
	for n := range Symbols {
		if n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&sb, "  %q: %s\n", string(Symbols[n]), n)
	}
	return []byte(sb.String())
}

// Counts returns how many cells hold each object name (empty cells under
// "empty").
func Counts(m *sim.Map) map[string]int {
	c := map[string]int{}
	for _, n := range m.Cells {
		if n == "" {
			n = Empty
		}
		c[n]++
	}
	return c
}

// AgentCells returns the row-major indices of the agent cells: agent i
// starts on AgentCells(m)[i].
func AgentCells(m *sim.Map) []int {
	var cells []int
	for i, n := range m.Cells {
		if n == Agent {
			cells = append(cells, i)
		}
	}
	return cells
}

// KeepAgents returns a copy of m with only the first n agent cells in
// row-major order; the others (the last ones first) become empty. It
// fails when m has fewer than n agent cells.
func KeepAgents(m *sim.Map, n int) (*sim.Map, error) {
	cells := AgentCells(m)
	if n < 0 || n > len(cells) {
		return nil, fmt.Errorf("map %s has %d agent cells, cannot place %d agents", m.Name, len(cells), n)
	}
	c := Clone(m)
	for _, i := range cells[n:] {
		c.Cells[i] = Empty
	}
	return c, nil
}
