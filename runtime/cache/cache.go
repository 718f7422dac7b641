// Package cache stores finished results by content address (a
// runtime/jobs key), so that running the same work again reuses them.
//
// The store lives in the user's cache folder ($XDG_CACHE_HOME/dafscript,
// ~/.cache/dafscript on Linux, ~/Library/Caches/dafscript on macOS) unless
// DAF_CACHE_DIR or Options.Dir names another. It is not under the output
// root: sessions there are one folder per run, while a content address
// names the same result in every project and checkout, so one store per
// user shares the work between them. Entries are files
// <dir>/<kind>/<key[:2]>/<key>.json written atomically; a key covers the
// code version, the mission, the policy weights and the seed, so an entry
// is never stale, only unused.
package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dafscript/dafscript/runtime/jobs"
	"github.com/dafscript/dafscript/runtime/output"
)

// EnvDir is the environment variable that moves the default store.
const EnvDir = "DAF_CACHE_DIR"

// Options selects a store.
type Options struct {
	// Dir is the store's folder; "" means DefaultDir().
	Dir string
	// Disabled refuses the cache (--no-cache): Open returns nil, and a
	// nil *Cache neither finds nor keeps anything.
	Disabled bool
}

// Check validates the options.
func (o *Options) Check() error {
	if o.Dir != "" && strings.ContainsRune(o.Dir, 0) {
		return fmt.Errorf("cache folder %q: contains a NUL byte", o.Dir)
	}
	return nil
}

// DefaultDir is $DAF_CACHE_DIR, or the dafscript folder in the user's
// cache folder.
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder: %w (set %s or pass --no-cache)", err, EnvDir)
	}
	return filepath.Join(base, "dafscript"), nil
}

// Cache is a store of results. A nil *Cache is valid and empty.
type Cache struct {
	dir string
}

// Open opens (creating it if needed) the store o selects; nil, nil when
// o.Disabled.
func Open(o Options) (*Cache, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if o.Disabled {
		return nil, nil
	}
	dir := o.Dir
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache folder: %w (pass --no-cache to run without it)", err)
	}
	return &Cache{dir: dir}, nil
}

// Dir returns the store's folder ("" for a nil cache).
func (c *Cache) Dir() string {
	if c == nil {
		return ""
	}
	return c.dir
}

func validKind(kind string) error {
	if kind == "" || strings.ContainsAny(kind, `/\.`) || strings.HasPrefix(kind, "-") {
		return fmt.Errorf("cache: bad kind %q", kind)
	}
	return nil
}

func validKey(k jobs.Key) error {
	if len(k) != 64 || strings.Trim(string(k), "0123456789abcdef") != "" {
		return fmt.Errorf("cache: bad key %q (want 64 hex digits)", k)
	}
	return nil
}

func (c *Cache) path(kind string, k jobs.Key) string {
	return filepath.Join(c.dir, kind, string(k[:2]), string(k)+".json")
}

// Get returns the entry kind/k: ok is false when there is none.
func (c *Cache) Get(kind string, k jobs.Key) (data []byte, ok bool, err error) {
	if c == nil {
		return nil, false, nil
	}
	if err := validKind(kind); err != nil {
		return nil, false, err
	}
	if err := validKey(k); err != nil {
		return nil, false, err
	}
	b, err := os.ReadFile(c.path(kind, k))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("cache: %w", err)
	}
	return b, true, nil
}

// Put stores data as the entry kind/k, atomically.
func (c *Cache) Put(kind string, k jobs.Key, data []byte) error {
	if c == nil {
		return nil
	}
	if err := validKind(kind); err != nil {
		return err
	}
	if err := validKey(k); err != nil {
		return err
	}
	p := c.path(kind, k)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("cache: %w (pass --no-cache to run without it)", err)
	}
	if err := output.WriteFileAtomic(p, data, 0o644); err != nil {
		return fmt.Errorf("cache: %w (pass --no-cache to run without it)", err)
	}
	return nil
}

// KindStats counts the entries of one kind.
type KindStats struct {
	Kind    string `json:"kind"`
	Entries int    `json:"entries"`
	Bytes   int64  `json:"bytes"`
}

// Stats describes a store: its folder and its entries by kind (sorted).
type Stats struct {
	Dir     string      `json:"dir"`
	Entries int         `json:"entries"`
	Bytes   int64       `json:"bytes"`
	Kinds   []KindStats `json:"kinds"`
}

// Stats counts the entries (`dafscript cache stats`).
func (c *Cache) Stats() (Stats, error) {
	st := Stats{Dir: c.Dir(), Kinds: []KindStats{}}
	if c == nil {
		return st, nil
	}
	kinds, err := os.ReadDir(c.dir)
	if err != nil {
		return st, fmt.Errorf("cache: %w", err)
	}
	for _, kd := range kinds {
		if !kd.IsDir() || validKind(kd.Name()) != nil {
			continue
		}
		ks := KindStats{Kind: kd.Name()}
		err := filepath.WalkDir(filepath.Join(c.dir, kd.Name()), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() || !strings.HasSuffix(d.Name(), ".json") || strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			ks.Entries++
			ks.Bytes += info.Size()
			return nil
		})
		if err != nil {
			return st, fmt.Errorf("cache: %w", err)
		}
		st.Kinds = append(st.Kinds, ks)
		st.Entries += ks.Entries
		st.Bytes += ks.Bytes
	}
	sort.Slice(st.Kinds, func(i, j int) bool { return st.Kinds[i].Kind < st.Kinds[j].Kind })
	return st, nil
}

// Clear removes every entry of the given kinds (all kinds when none are
// given) and returns what was removed (`dafscript cache clear`).
func (c *Cache) Clear(kinds ...string) (Stats, error) {
	st, err := c.Stats()
	if err != nil || c == nil {
		return st, err
	}
	removed := Stats{Dir: st.Dir, Kinds: []KindStats{}}
	for _, ks := range st.Kinds {
		if len(kinds) > 0 && !contains(kinds, ks.Kind) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(c.dir, ks.Kind)); err != nil {
			return removed, fmt.Errorf("cache: %w", err)
		}
		removed.Kinds = append(removed.Kinds, ks)
		removed.Entries += ks.Entries
		removed.Bytes += ks.Bytes
	}
	return removed, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
