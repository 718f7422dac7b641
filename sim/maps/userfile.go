package maps

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// MaxFileBytes bounds the size of a map file read from disk. The largest
// map of CoGames (1010x1010) is about 1 MiB; a grid of MaxSide x MaxSide
// cells is 16 MiB.
const MaxFileBytes = MaxSide*(MaxSide+1) + 1<<20

// ReadUserFile reads the map file a script or a command line names:
// name is resolved against dir when relative, and must stay under root
// after symbolic links are followed (empty root: no confinement, for a
// path the user typed on the command line). The file may not exceed
// MaxFileBytes. Errors name the file as given, with line and column
// where the parser can tell.
func ReadUserFile(root, dir, name string) (*File, error) {
	if name == "" {
		return nil, errors.New("map file name is empty")
	}
	p := filepath.FromSlash(name)
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	p = filepath.Clean(p)
	if root != "" && !within(root, p) {
		return nil, fmt.Errorf("map %q: %s is outside the script's folder %s; a script reads map files only under it", name, p, root)
	}
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("map %q: no such file (%s)", name, p)
		}
		return nil, fmt.Errorf("map %q: %w", name, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("map %q: not a regular file", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("map %q: %w", name, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("map %q: larger than %d MiB; a map is at most %dx%d cells", name, MaxFileBytes>>20, MaxSide, MaxSide)
	}
	mf, err := ParseFile(name, data)
	if err != nil {
		return nil, yamlPosition(name, err)
	}
	mf.Map.Name = strings.TrimSuffix(filepath.Base(p), ".map")
	return mf, nil
}

var yamlLine = regexp.MustCompile(`^(.*): yaml: line (\d+): (.*)$`)

// yamlPosition rewrites "FILE: yaml: line N: msg" as "FILE:N: msg".
func yamlPosition(name string, err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil && m[1] == name {
		return fmt.Errorf("%s:%s: %s", name, m[2], m[3])
	}
	return err
}

// within reports whether p is root or below it, following symbolic links
// (as load() does for scripts).
func within(root, p string) bool {
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	} else if d, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		p = filepath.Join(d, filepath.Base(p))
	}
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
