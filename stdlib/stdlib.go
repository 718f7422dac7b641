// Package stdlib holds the Starlark modules shipped inside the dafscript
// binary. Scripts load them as load("@daf/NAME.star", ...).
package stdlib

import (
	"embed"
	"io/fs"
	"sort"
)

// FS holds the library modules, by file name.
//
//go:embed *.star
var FS embed.FS

// Names returns the module names, as written after "@daf/", sorted.
func Names() []string {
	ents, _ := fs.ReadDir(FS, ".")
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}
