package maps

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
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
// "extractor_hub_30x30") to the embedded path.
var index = sync.OnceValue(func() map[string]string {
	idx := map[string]string{}
	_ = fs.WalkDir(data, "data", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".map") {
			return err
		}
		long := strings.TrimSuffix(strings.TrimPrefix(p, "data/"), ".map")
		idx[long] = p
		if _, dup := idx[path.Base(long)]; !dup {
			idx[path.Base(long)] = p
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
	b, err := data.ReadFile(p)
	if err != nil {
		return nil, err
	}
	f, err := ParseFile(strings.TrimPrefix(p, "data/"), b)
	if err != nil {
		return nil, err
	}
	f.Map.Name = path.Base(key)
	return f, nil
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
