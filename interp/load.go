package interp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dafscript/dafscript/stdlib"
	"go.starlark.net/starlark"
)

// StdlibPrefix starts the name of a module shipped inside the binary:
// load("@daf/pipelines.star", "compare_all").
const StdlibPrefix = "@daf/"

// A LoadCycleError reports modules that load each other.
type LoadCycleError struct{ Chain []string }

func (e *LoadCycleError) Error() string {
	return "load cycle: " + strings.Join(e.Chain, " -> ")
}

// loadCache executes each module once, even when several goroutines load it
// at the same time, and detects cycles instead of deadlocking. It follows
// the parallel cache of go.starlark.net's example_test.go, extended to name
// the modules of a cycle.
type loadCache struct {
	h  *Host
	mu sync.Mutex
	m  map[string]*entry // by key: absolute path, or "@daf/NAME.star"
}

type entry struct {
	key     string
	owner   atomic.Pointer[cycleChecker] // the loader readying this entry
	globals starlark.StringDict
	err     error
	ready   chan struct{}
}

// A cycleChecker is one logical thread of loading: the main script and
// every load() it triggers, transitively.
type cycleChecker struct {
	waitsFor atomic.Pointer[entry]
	stack    []string // keys being loaded by this thread, outermost first (owner goroutine only)
}

func newLoadCache(h *Host) *loadCache {
	return &loadCache{h: h, m: map[string]*entry{}}
}

func (c *loadCache) loadMain(ctx context.Context, abs string) (starlark.StringDict, error) {
	return c.get(ctx, new(cycleChecker), abs)
}

// load resolves module as written in a load statement of file from.
func (c *loadCache) load(ctx context.Context, cc *cycleChecker, from, module string) (starlark.StringDict, error) {
	key, err := c.resolve(from, module)
	if err != nil {
		return nil, err
	}
	return c.get(ctx, cc, key)
}

func (c *loadCache) get(ctx context.Context, cc *cycleChecker, key string) (starlark.StringDict, error) {
	c.mu.Lock()
	e := c.m[key]
	if e != nil {
		c.mu.Unlock()
		if err := c.cycleCheck(e, cc); err != nil {
			return nil, err
		}
		cc.waitsFor.Store(e)
		<-e.ready
		cc.waitsFor.Store(nil)
		return e.globals, e.err
	}
	e = &entry{key: key, ready: make(chan struct{})}
	c.m[key] = e
	c.mu.Unlock()

	e.owner.Store(cc)
	cc.stack = append(cc.stack, key)
	e.globals, e.err = c.exec(ctx, cc, key)
	cc.stack = cc.stack[:len(cc.stack)-1]
	e.owner.Store(nil)
	close(e.ready)
	return e.globals, e.err
}

// cycleCheck reports whether waiting for e would deadlock: whether the
// waits-for graph leads from e back to me.
func (c *loadCache) cycleCheck(e *entry, me *cycleChecker) error {
	var path []string
	for e != nil {
		owner := e.owner.Load()
		if owner == nil {
			return nil
		}
		path = append(path, e.key)
		if owner == me {
			chain := path
			// The usual case: this thread itself is loading e.
			for i, k := range me.stack {
				if k == path[0] {
					chain = append(append([]string{}, me.stack[i:]...), path[0])
					break
				}
			}
			if len(chain) == len(path) && len(me.stack) > 0 {
				chain = append([]string{me.stack[len(me.stack)-1]}, path...)
			}
			for i, k := range chain {
				chain[i] = c.h.display(k)
			}
			return &LoadCycleError{Chain: chain}
		}
		e = owner.waitsFor.Load()
	}
	return nil
}

// resolve turns a load() argument into a cache key: an absolute path for a
// script file (relative paths are relative to the loading file), or
// "@daf/NAME" for the embedded library.
func (c *loadCache) resolve(from, module string) (string, error) {
	if !strings.HasSuffix(module, ".star") {
		return "", fmt.Errorf("load(%q): module names end in .star, e.g. \"lib/util.star\" or \"@daf/pipelines.star\"", module)
	}
	if name, ok := strings.CutPrefix(module, StdlibPrefix); ok {
		return stdlibKey(module, name)
	}
	if dir, ok := strings.CutPrefix(from, StdlibPrefix); ok {
		// A library module loads its siblings.
		return stdlibKey(module, path.Join(path.Dir(dir), module))
	}
	p := module
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(from), filepath.FromSlash(module))
	}
	p = filepath.Clean(p)
	root := c.h.cfg.Root
	if root == "" {
		root = filepath.Dir(from)
	}
	if !within(root, p) {
		return "", fmt.Errorf("load(%q): %s is outside the script's root directory %s; scripts may only load files under it (or @daf/ modules)", module, p, root)
	}
	return p, nil
}

func stdlibKey(module, name string) (string, error) {
	name = path.Clean(name)
	if strings.HasPrefix(name, "../") || name == ".." {
		return "", fmt.Errorf("load(%q): leaves the @daf library", module)
	}
	if _, err := fs.Stat(stdlib.FS, name); err != nil {
		return "", fmt.Errorf("load(%q): no such library module; available: %s", module, strings.Join(stdlib.Names(), ", "))
	}
	return StdlibPrefix + name, nil
}

// within reports whether p is root or below it, following symbolic links
// so that a link cannot lead out of the root.
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

func (c *loadCache) exec(ctx context.Context, cc *cycleChecker, key string) (globals starlark.StringDict, err error) {
	name := c.h.display(key)
	defer recoverPanic(&err, name)
	var src []byte
	if lib, ok := strings.CutPrefix(key, StdlibPrefix); ok {
		src, err = fs.ReadFile(stdlib.FS, lib)
	} else {
		src, err = os.ReadFile(key)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file", name)
		}
	}
	if err != nil {
		return nil, err
	}
	c.h.remember(name, src)
	t, stop := c.h.newThread(ctx, "load "+name, key, cc)
	defer stop()
	return starlark.ExecFileOptions(FileOptions(), t, name, src, c.h.predeclared)
}

// display is how a file is named in positions and messages: relative to
// the working directory when below it, so errors read "scripts/x.star:3:1".
func (h *Host) display(key string) string {
	if strings.HasPrefix(key, StdlibPrefix) || !filepath.IsAbs(key) {
		return key
	}
	wd := h.cfg.WorkDir
	if wd == "" {
		wd, _ = os.Getwd()
	}
	if wd != "" {
		if rel, err := filepath.Rel(wd, key); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return key
}

// Files returns the absolute paths of the script files this host has run
// or loaded so far (not the @daf library), sorted: the files a script
// must never overwrite.
func (h *Host) Files() []string {
	c := h.loads
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k := range c.m {
		if !strings.HasPrefix(k, StdlibPrefix) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
