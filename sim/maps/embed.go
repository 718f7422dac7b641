package maps

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/suggest"
)

// The map files of CoGames (MIT licence, see data/README.md). The two
// 1000x1000-class maps of its large/ folder are not embedded: they add
// 1.3 MB to every binary for maps no mission uses; ReadFile reads them
// (or any other map file) from disk.
//
//go:embed data/training_facility/*.map data/evals/*.map data/diagnostic_evals/*.map data/machina/*.map
var data embed.FS

// index maps every accepted spelling of a name ("evals/extractor_hub_30x30",
// "extractor_hub_30x30") to the embedded path; a short name that two
// folders share maps to "" (ambiguous).
var index = sync.OnceValue(func() map[string]string {
	idx := map[string]string{}
	_ = fs.WalkDir(data, "data", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".map") {
			return err
		}
		long := strings.TrimSuffix(strings.TrimPrefix(p, "data/"), ".map")
		idx[long] = p
		short := path.Base(long)
		if _, dup := idx[short]; dup {
			idx[short] = ""
		} else {
			idx[short] = p
		}
		return nil
	})
	return idx
})

// Names returns the embedded maps as "folder/name", sorted.
func Names() []string {
	var names []string
	for k := range index() {
		if strings.Contains(k, "/") {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

// Open parses the embedded map called name: its short name
// ("training_facility_open_1") or folder/name ("evals/extractor_hub_30x30"),
// with or without ".map". The map's Name is its short name.
func Open(name string) (*File, error) {
	key := strings.TrimSuffix(name, ".map")
	p, ok := index()[key]
	if !ok {
		var all []string
		for k := range index() {
			all = append(all, k)
		}
		sort.Strings(all)
		return nil, fmt.Errorf("%w %q%s", ErrNotFound, name, suggest.Hint(key, all, 3))
	}
	if p == "" {
		return nil, fmt.Errorf("map name %q is ambiguous: give the folder too (folder/%s)", name, key)
	}
	f, err := parsed(p)
	if err != nil {
		return nil, err
	}
	return &File{Map: Clone(f.Map), ClippedCells: slices.Clone(f.ClippedCells)}, nil
}

// cache holds each embedded file parsed once (the files never change);
// Open hands out copies.
var cache sync.Map // embedded path -> func() (*File, error)

func parsed(p string) (*File, error) {
	once, _ := cache.LoadOrStore(p, sync.OnceValues(func() (*File, error) {
		b, err := data.ReadFile(p)
		if err != nil {
			return nil, err
		}
		f, err := ParseFile(strings.TrimPrefix(p, "data/"), b)
		if err != nil {
			return nil, err
		}
		f.Map.Name = strings.TrimSuffix(path.Base(p), ".map")
		return f, nil
	}))
	return once.(func() (*File, error))()
}

// Load is Open without the start-clipped cells.
func Load(name string) (*sim.Map, error) {
	f, err := Open(name)
	if err != nil {
		return nil, err
	}
	return f.Map, nil
}

// ReadFile parses a map file from disk; the map's Name is the file name
// without folder and ".map".
func ReadFile(filename string) (*File, error) {
	b, err := os.ReadFile(filename)
	if err != nil {
		return nil, err
	}
	f, err := ParseFile(filename, b)
	if err != nil {
		return nil, err
	}
	f.Map.Name = strings.TrimSuffix(filepath.Base(filename), ".map")
	return f, nil
}
