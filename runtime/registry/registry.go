// Package registry keeps deployed packages in a folder:
//
//	DIR/registry.json                      {"format":"dafscript-registry","version":1}
//	DIR/NAME/versions/VERSION/package.dafpkg  the package, verified, never changed
//	DIR/NAME/current                       JSON: the current version and the ones before it
//
// A version folder is written under a temporary name and renamed into
// place when complete; the current pointer is a small file replaced by
// write-temp-then-rename (runtime/output.WriteFileAtomic). A rename is
// atomic on every platform dafscript runs on, and unlike a symlink needs
// no privileges on Windows, so a reader (or a crash at any moment) sees
// the old pointer or the new one, and either names a complete version.
package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/pkg"
)

const (
	markerName    = "registry.json"
	markerFormat  = "dafscript-registry"
	markerVersion = 1
	currentName   = "current"
	packageName   = "package.dafpkg"
	versionsDir   = "versions"
)

// Registry is an opened registry folder.
type Registry struct {
	Dir string
}

type marker struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
}

// Pointer is the content of NAME/current.
type Pointer struct {
	Version string `json:"version"`
	// History holds the versions that were current before, most recent
	// first: Rollback goes back to History[0].
	History []string `json:"history"`
}

// Open opens the registry at dir. With create, a missing or empty folder
// becomes a new registry; a folder with other content is refused.
func Open(dir string, create bool) (*Registry, error) {
	if dir == "" {
		return nil, errors.New("registry: no folder given")
	}
	b, err := os.ReadFile(filepath.Join(dir, markerName))
	if err == nil {
		var m marker
		if err := json.Unmarshal(b, &m); err != nil || m.Format != markerFormat {
			return nil, fmt.Errorf("registry %s: %s is not a dafscript registry marker", dir, markerName)
		}
		if m.Version > markerVersion {
			return nil, fmt.Errorf("registry %s: format version %d is newer than this dafscript reads (%d)", dir, m.Version, markerVersion)
		}
		return &Registry{Dir: dir}, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("registry %s: %w", dir, err)
	}
	ents, derr := os.ReadDir(dir)
	switch {
	case errors.Is(derr, fs.ErrNotExist):
		if !create {
			return nil, fmt.Errorf("registry %s: no such folder (deploy a package there first)", dir)
		}
	case derr != nil:
		return nil, fmt.Errorf("registry %s: %w", dir, derr)
	case len(ents) > 0 || !create:
		return nil, fmt.Errorf("registry %s: not a registry (no %s); give an empty or new folder, or the folder a deploy created", dir, markerName)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("registry %s: %w", dir, err)
	}
	mb, _ := json.Marshal(marker{Format: markerFormat, Version: markerVersion})
	if err := output.WriteFileAtomic(filepath.Join(dir, markerName), append(mb, '\n'), 0o644); err != nil {
		return nil, err
	}
	return &Registry{Dir: dir}, nil
}

// PackagePath is where version v of name keeps its package.
func (r *Registry) PackagePath(name, v string) string {
	return filepath.Join(r.Dir, name, versionsDir, v, packageName)
}

// Current reads name's pointer.
func (r *Registry) Current(name string) (Pointer, error) {
	if err := pkg.CheckName("name", name); err != nil {
		return Pointer{}, err
	}
	b, err := os.ReadFile(filepath.Join(r.Dir, name, currentName))
	if errors.Is(err, fs.ErrNotExist) {
		return Pointer{}, fmt.Errorf("registry %s: no policy %q deployed%s", r.Dir, name, r.hint(name))
	}
	if err != nil {
		return Pointer{}, err
	}
	var p Pointer
	if err := json.Unmarshal(b, &p); err != nil || pkg.CheckName("version", p.Version) != nil {
		return Pointer{}, fmt.Errorf("registry %s: %s/%s is corrupted", r.Dir, name, currentName)
	}
	return p, nil
}

func (r *Registry) hint(name string) string {
	names, _ := r.Names()
	if len(names) == 0 {
		return " (the registry is empty)"
	}
	return " (deployed: " + strings.Join(names, ", ") + ")"
}

// CurrentPath is the package file name's current version points to.
func (r *Registry) CurrentPath(name string) (string, Pointer, error) {
	p, err := r.Current(name)
	if err != nil {
		return "", p, err
	}
	return r.PackagePath(name, p.Version), p, nil
}

// Names lists the deployed policy names, sorted.
func (r *Registry) Names() ([]string, error) {
	ents, err := os.ReadDir(r.Dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && pkg.CheckName("name", e.Name()) == nil {
			if _, err := os.Stat(filepath.Join(r.Dir, e.Name(), currentName)); err == nil {
				out = append(out, e.Name())
			}
		}
	}
	return out, nil
}

// Versions lists name's complete versions, sorted (temporary folders of
// an interrupted deploy are not listed).
func (r *Registry) Versions(name string) ([]string, error) {
	if err := pkg.CheckName("name", name); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(filepath.Join(r.Dir, name, versionsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && pkg.CheckName("version", e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// Entry is one policy of a listing.
type Entry struct {
	Name     string   `json:"name"`
	Current  string   `json:"current"`
	History  []string `json:"history"`
	Versions []string `json:"versions"`
}

// List describes every deployed policy, by name.
func (r *Registry) List() ([]Entry, error) {
	names, err := r.Names()
	if err != nil {
		return nil, err
	}
	out := []Entry{}
	for _, n := range names {
		p, err := r.Current(n)
		if err != nil {
			return nil, err
		}
		vs, err := r.Versions(n)
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{Name: n, Current: p.Version, History: p.History, Versions: vs})
	}
	return out, nil
}

// hook, when set by a test, is called at each stage of Install.
var hook func(stage string)

func at(stage string) {
	if hook != nil {
		hook(stage)
	}
}

// Install stores the package data (already verified by the caller) as
// name/version and makes it current. A version is never overwritten: the
// same bytes again only switch the pointer; different bytes under an
// existing version are refused.
func (r *Registry) Install(data []byte, m *pkg.Manifest) (Pointer, error) {
	name, v := m.Name, m.Version
	if err := pkg.CheckName("name", name); err != nil {
		return Pointer{}, err
	}
	if err := pkg.CheckName("version", v); err != nil {
		return Pointer{}, err
	}
	vdir := filepath.Join(r.Dir, name, versionsDir)
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return Pointer{}, err
	}
	final := filepath.Join(vdir, v)
	if old, err := os.ReadFile(filepath.Join(final, packageName)); err == nil {
		if string(old) != string(data) {
			return Pointer{}, fmt.Errorf("registry %s: %s version %s is already deployed with different content (versions never change: give a new version)", r.Dir, name, v)
		}
	} else {
		r.clean(vdir)
		tmp, err := os.MkdirTemp(vdir, ".tmp-"+v+"-")
		if err != nil {
			return Pointer{}, err
		}
		if err := writeSynced(filepath.Join(tmp, packageName), data); err != nil {
			os.RemoveAll(tmp)
			return Pointer{}, err
		}
		at("version-written")
		if err := os.Rename(tmp, final); err != nil {
			os.RemoveAll(tmp)
			return Pointer{}, fmt.Errorf("registry %s: %w", r.Dir, err)
		}
		syncDir(vdir)
		at("version-renamed")
	}
	p := Pointer{Version: v, History: []string{}}
	if cur, err := r.Current(name); err == nil {
		if cur.Version == v {
			return cur, nil
		}
		p.History = append([]string{cur.Version}, cur.History...)
	}
	if err := r.setCurrent(name, p); err != nil {
		return Pointer{}, err
	}
	at("current-switched")
	return p, nil
}

// Rollback makes the version that was current before the current one
// current again.
func (r *Registry) Rollback(name string) (Pointer, error) {
	cur, err := r.Current(name)
	if err != nil {
		return Pointer{}, err
	}
	if len(cur.History) == 0 {
		return Pointer{}, fmt.Errorf("registry %s: %s has no version before %s to roll back to", r.Dir, name, cur.Version)
	}
	p := Pointer{Version: cur.History[0], History: cur.History[1:]}
	if _, err := os.Stat(r.PackagePath(name, p.Version)); err != nil {
		return Pointer{}, fmt.Errorf("registry %s: %s version %s is gone: %v", r.Dir, name, p.Version, err)
	}
	if err := r.setCurrent(name, p); err != nil {
		return Pointer{}, err
	}
	return p, nil
}

func (r *Registry) setCurrent(name string, p Pointer) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return output.WriteFileAtomic(filepath.Join(r.Dir, name, currentName), append(b, '\n'), 0o644)
}

// clean removes the temporary folders an interrupted deploy left.
func (r *Registry) clean(vdir string) {
	ents, _ := os.ReadDir(vdir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			os.RemoveAll(filepath.Join(vdir, e.Name()))
		}
	}
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	half := len(data) / 2
	if _, err := f.Write(data[:half]); err != nil {
		f.Close()
		return err
	}
	at("version-half-written")
	if _, err := f.Write(data[half:]); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
