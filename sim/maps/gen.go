package maps

import (
	"fmt"

	"github.com/dafscript/dafscript/sim"
)

// Border is the wall border CoGames puts around every map.
const Border = 5

// HubSize is the side of BaseHub's inner map.
const HubSize = 13

// MaxHubAgents is the number of spawn pads a hub can hold.
const MaxHubAgents = 8

// BaseHub generates the training-facility hub: a 13x13 inner map with
// a wall ring (3-wide gates in the middle of each side) around a
// plus-shaped 3-wide corridor, the assembler at the centre, the charger 3
// cells above it and the chest 3 below, spawn pads 2 cells from the
// centre in each direction (four more, one per corridor arm, beyond 4
// agents), and the carbon, oxygen, germanium and silicon extractors in the
// four corners of the band outside the ring. The seed picks one of the 8
// rotations/mirrors of the square and which spawn pads to remove when
// there are more than numAgents; numAgents is clamped to [0, 8]. The
// result has the 5-cell wall border: 23x23.
func BaseHub(seed uint64, numAgents int) *sim.Map {
	m := WithBorder(hubInner(sim.NewRNG(seed), numAgents), Border)
	m.Name = "base_hub"
	return m
}

func hubInner(rng *sim.RNG, numAgents int) *sim.Map {
	numAgents = max(0, min(numAgents, MaxHubAgents))
	const n, mid = HubSize, HubSize / 2
	m := New("base_hub", n, n)
	set := func(r, c int, name string) { m.Cells[r*n+c] = name }
	for r := range n {
		for c := range n {
			dr, dc := abs(r-mid), abs(c-mid)
			ring := max(dr, dc) == 4
			gate := (dr == 4 && dc <= 1) || (dc == 4 && dr <= 1)
			corridor := dr <= 1 || dc <= 1
			if ring && !gate || max(dr, dc) < 4 && !corridor {
				set(r, c, Wall)
			}
		}
	}
	set(mid, mid, Assembler)
	set(mid-3, mid, Charger)
	set(mid+3, mid, Chest)
	set(1, 1, "carbon_extractor")
	set(1, n-2, "oxygen_extractor")
	set(n-2, 1, "germanium_extractor")
	set(n-2, n-2, "silicon_extractor")
	pads := [][2]int{{mid - 2, mid}, {mid + 2, mid}, {mid, mid - 2}, {mid, mid + 2}}
	if numAgents > len(pads) {
		// One more per arm, turning the same way round the centre.
		pads = append(pads, [2]int{mid - 2, mid - 1}, [2]int{mid + 2, mid + 1}, [2]int{mid + 1, mid - 2}, [2]int{mid - 1, mid + 2})
	}
	for _, p := range pads {
		set(p[0], p[1], Agent)
	}
	m = dihedral(m, rng.Intn(8))
	// Remove the excess pads at random.
	cells := AgentCells(m)
	order := make([]int, len(cells))
	for i := range order {
		order[i] = i
	}
	rng.Shuffle(order)
	for _, i := range order[:len(cells)-numAgents] {
		m.Cells[cells[i]] = Empty
	}
	return m
}

// dihedral returns square map m rotated k%4 quarter turns clockwise,
// then mirrored left-right when k >= 4.
func dihedral(m *sim.Map, k int) *sim.Map {
	n := m.Width
	out := Clone(m)
	for r := range n {
		for c := range n {
			rr, cc := r, c
			for range k % 4 {
				rr, cc = cc, n-1-rr
			}
			if k >= 4 {
				cc = n - 1 - cc
			}
			out.Cells[rr*n+cc] = m.Cells[r*n+c]
		}
	}
	return out
}

// ArenaConfig describes an open world: a BaseHub in the middle of a
// larger map with wall clusters and scattered stations.
type ArenaConfig struct {
	Name          string
	Width, Height int // inner size, without the border
	NumAgents     int // spawn pads in the hub, 1..8
	Extractors    int // scattered extractors of each kind, besides the hub's four
	Chargers      int // scattered chargers, besides the hub's
	Walls         int // wall clusters, each a random walk of WallLength steps
	WallLength    int
}

// HelloWorld and Machina1 are the arenas of the hello_world (100x100) and
// machina_1 (200x200) missions.
var (
	HelloWorld = ArenaConfig{Name: "hello_world", Width: 100, Height: 100, NumAgents: 4,
		Extractors: 12, Chargers: 10, Walls: 60, WallLength: 30}
	Machina1 = ArenaConfig{Name: "machina_1", Width: 200, Height: 200, NumAgents: 4,
		Extractors: 40, Chargers: 40, Walls: 250, WallLength: 40}
)

// Arena generates an open world from cfg and seed: the BaseHub inner map
// at the centre; cfg.Walls wall clusters outside it, each a random walk;
// every open cell no longer reachable from the hub walled up; then the
// scattered stations on random open cells whose eight neighbours are all
// open, so that no station ever cuts a path or loses its last free side.
// The result has the 5-cell wall border.
func Arena(seed uint64, cfg ArenaConfig) (*sim.Map, error) {
	if cfg.Width < HubSize+4 || cfg.Height < HubSize+4 || cfg.Width > MaxSide || cfg.Height > MaxSide {
		return nil, fmt.Errorf("arena %s: size %dx%d must be between %dx%d and %dx%d",
			cfg.Name, cfg.Width, cfg.Height, HubSize+4, HubSize+4, MaxSide, MaxSide)
	}
	if cfg.NumAgents < 1 || cfg.NumAgents > MaxHubAgents {
		return nil, fmt.Errorf("arena %s: %d agents, the hub holds 1 to %d", cfg.Name, cfg.NumAgents, MaxHubAgents)
	}
	if cfg.Extractors < 0 || cfg.Chargers < 0 || cfg.Walls < 0 || cfg.WallLength < 0 {
		return nil, fmt.Errorf("arena %s: negative counts", cfg.Name)
	}
	rng := sim.NewRNG(seed)
	m := New(cfg.Name, cfg.Width, cfg.Height)
	hub := hubInner(rng, cfg.NumAgents)
	top, left := (cfg.Height-HubSize)/2, (cfg.Width-HubSize)/2
	for r := range HubSize {
		copy(m.Cells[(top+r)*m.Width+left:], hub.Cells[r*HubSize:(r+1)*HubSize])
	}
	// Nothing is generated within 2 cells of the hub, so its gates stay open.
	nearHub := func(r, c int) bool {
		return r >= top-2 && r < top+HubSize+2 && c >= left-2 && c < left+HubSize+2
	}
	for range cfg.Walls {
		r, c := rng.Intn(m.Height), rng.Intn(m.Width)
		for range cfg.WallLength {
			if !nearHub(r, c) {
				m.Cells[r*m.Width+c] = Wall
			}
			switch rng.Intn(4) {
			case 0:
				r = max(r-1, 0)
			case 1:
				r = min(r+1, m.Height-1)
			case 2:
				c = max(c-1, 0)
			default:
				c = min(c+1, m.Width-1)
			}
		}
	}
	fillPockets(m, AgentCells(m)[0])
	var stations []string
	for range cfg.Extractors {
		stations = append(stations, Extractors...)
	}
	for range cfg.Chargers {
		stations = append(stations, Charger)
	}
	free := func(i int) bool { r, c := i/m.Width, i%m.Width; return !nearHub(r, c) }
	if err := placeStations(m, rng, stations, free); err != nil {
		return nil, fmt.Errorf("arena %s: %w", cfg.Name, err)
	}
	b := WithBorder(m, Border)
	return b, nil
}

// Assembler2Size is the side of Assembler2's inner map.
const Assembler2Size = 10

// Assembler2 generates the assembler_2 map: a 10x10 open inner map with
// one assembler, chest, charger and extractor of each kind, each on a
// random cell whose eight neighbours are open, and 4 agents on random
// open cells; with the border, 20x20.
func Assembler2(seed uint64) *sim.Map {
	rng := sim.NewRNG(seed)
	m := New("assembler_2", Assembler2Size, Assembler2Size)
	stations := append([]string{Assembler, Chest, Charger}, Extractors...)
	// 64 inner cells for 7 stations that only need to keep apart: this
	// cannot run out of room.
	if err := placeStations(m, rng, stations, func(int) bool { return true }); err != nil {
		panic("maps: assembler_2: " + err.Error())
	}
	open := make([]int, 0, len(m.Cells))
	for i, n := range m.Cells {
		if n == Empty {
			open = append(open, i)
		}
	}
	rng.Shuffle(open)
	for _, i := range open[:4] {
		m.Cells[i] = Agent
	}
	return WithBorder(m, Border)
}

// placeStations puts each station, in order, on the next cell of a
// shuffled list that allowed accepts and whose eight neighbours are all
// open (inside the map, not a wall or station). Taking such a cell never
// disconnects the open cells, and no later station can take a neighbour
// of an earlier one, so every station stays reachable.
func placeStations(m *sim.Map, rng *sim.RNG, stations []string, allowed func(int) bool) error {
	open := func(r, c int) bool {
		if r < 0 || r >= m.Height || c < 0 || c >= m.Width {
			return false
		}
		n := m.Cells[r*m.Width+c]
		return n == Empty || n == Agent
	}
	var cand []int
	for i, n := range m.Cells {
		if n == Empty && allowed(i) {
			cand = append(cand, i)
		}
	}
	rng.Shuffle(cand)
	next := 0
	for placed, s := range stations {
		for {
			if next == len(cand) {
				return fmt.Errorf("room for only %d of %d stations", placed, len(stations))
			}
			i := cand[next]
			next++
			r, c := i/m.Width, i%m.Width
			ok := m.Cells[i] == Empty
			for dr := -1; dr <= 1 && ok; dr++ {
				for dc := -1; dc <= 1 && ok; dc++ {
					if dr != 0 || dc != 0 {
						ok = open(r+dr, c+dc)
					}
				}
			}
			if ok {
				m.Cells[i] = s
				break
			}
		}
	}
	return nil
}

// fillPockets walls up every empty cell that agents starting at cell
// from cannot reach (stations and walls block the way).
func fillPockets(m *sim.Map, from int) {
	seen := make([]bool, len(m.Cells))
	seen[from] = true
	queue := []int{from}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		r, c := i/m.Width, i%m.Width
		for _, d := range [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
			rr, cc := r+d[0], c+d[1]
			if rr < 0 || rr >= m.Height || cc < 0 || cc >= m.Width {
				continue
			}
			j := rr*m.Width + cc
			if !seen[j] && (m.Cells[j] == Empty || m.Cells[j] == Agent) {
				seen[j] = true
				queue = append(queue, j)
			}
		}
	}
	for i, n := range m.Cells {
		if n == Empty && !seen[i] {
			m.Cells[i] = Wall
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
