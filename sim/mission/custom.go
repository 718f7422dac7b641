package mission

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/dafscript/dafscript/sim/maps"
)

// MapPrefix starts the name of a mission played on a map file:
// "map:maps/arena.map", which may take a suffix and variants like any
// other ("map:maps/arena.map:easy+dark_side").
const MapPrefix = "map:"

var (
	customMu sync.Mutex
	custom   = map[string]*customMap{} // by base name "map:<file>"
)

type customMap struct {
	base *base
	rows []string // the file's grid, to tell a second registration of another map
}

// RegisterMapFile makes the parsed map file f a mission named
// "map:"+file (file as the user wrote it), playable with every cog its
// spawn cells hold and the default step limit, and returns that name.
// Get then accepts the name with a suffix and variants. Registering
// another map under a name already taken is an error.
func RegisterMapFile(file string, f *maps.File) (string, error) {
	if strings.ContainsAny(file, "+") {
		return "", fmt.Errorf("map %q: a map file name may not contain '+' (it separates variants)", file)
	}
	agents := len(maps.AgentCells(f.Map))
	if agents == 0 {
		return "", fmt.Errorf("map %q: no spawn cell ('@' or agent.*): a mission needs at least one cog", file)
	}
	name := MapPrefix + file
	rows := maps.Rows(f.Map)
	customMu.Lock()
	defer customMu.Unlock()
	if old, ok := custom[name]; ok {
		if !slices.Equal(old.rows, rows) {
			return "", fmt.Errorf("map %q: another map was already loaded under this name in this run", file)
		}
		return name, nil
	}
	src := bordered(&maps.File{Map: maps.Clone(f.Map), ClippedCells: slices.Clone(f.ClippedCells)})
	b := &base{name: name, mapName: file, agents: agents, maxAgents: agents, maxSteps: DefaultMaxSteps,
		doc:   fmt.Sprintf("Map file %s with every cog its %d spawn cells hold.", file, agents),
		width: src.Map.Width, height: src.Map.Height,
		source: func(uint64, int) (*maps.File, error) { return src, nil }}
	custom[name] = &customMap{base: b, rows: rows}
	return name, nil
}

// customBase finds the registered map mission that head ("map:FILE" or
// "map:FILE:easy") starts with, and returns it with the rest of head.
func customBase(head string) (*base, string, bool) {
	customMu.Lock()
	defer customMu.Unlock()
	var best *base
	for name, c := range custom {
		if strings.HasPrefix(head, name) && (len(head) == len(name) || head[len(name)] == ':') && (best == nil || len(name) > len(best.name)) {
			best = c.base
		}
	}
	if best == nil {
		return nil, "", false
	}
	return best, head[len(best.name):], true
}

// LoadMapFile reads the map file name (relative to dir, confined to root
// unless root is empty: see maps.ReadUserFile) and registers it as a
// mission (RegisterMapFile), whose name it returns.
func LoadMapFile(root, dir, name string) (string, error) {
	f, err := maps.ReadUserFile(root, dir, name)
	if err != nil {
		return "", err
	}
	return RegisterMapFile(name, f)
}
