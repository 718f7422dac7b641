// Package interp is the Starlark host of dafscript: it sets up threads
// (print, load, step limits, cancellation, clock), resolves and caches
// load() targets, formats diagnostics, and runs the REPL and the
// *_test.star runner.
package interp

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"go.starlark.net/lib/math"
	starlarktime "go.starlark.net/lib/time"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

func init() {
	// A thread that the host did not set up (one started by a builtin, say)
	// must not read the clock either: with NowFunc nil, time.now() fails
	// unless the thread was given a clock by SetNow.
	starlarktime.NowFunc = nil
}

// FileOptions returns the dialect every dafscript file is compiled with.
// docs/scripting.md explains each choice.
func FileOptions() *syntax.FileOptions {
	return &syntax.FileOptions{
		Set:             true,  // set() is deterministic (insertion order) and handy for mission lists
		While:           true,  // experiments loop until a condition; the step limit and Ctrl-C bound them
		TopLevelControl: true,  // scripts are experiments, not build files: top-level for/if is natural
		GlobalReassign:  true,  // `result = ...` twice at top level reads like Python users expect
		Recursion:       false, // Starlark's call stack is the Go stack: deep recursion would crash, not fail
	}
}

// Config is the per-run configuration of a Host.
type Config struct {
	// Root is the directory that load() may not leave. Empty: the
	// directory of the main script.
	Root string
	// MaxSteps limits the Starlark computation steps of each thread
	// (0: no limit).
	MaxSteps uint64
	// AllowClock lets time.now() read the wall clock.
	AllowClock bool
	// Stdout receives print().
	Stdout io.Writer
	// Predeclared holds extra global modules, such as "daf".
	Predeclared starlark.StringDict
	// InitThread, if set, attaches per-run state (the daf Env) to every
	// thread the host creates.
	InitThread func(*starlark.Thread)
	// WorkDir is the directory file names in messages are relative to
	// (empty: the process's).
	WorkDir string
	// Docs documents builtins by name (with or without the "daf."
	// prefix), for help().
	Docs map[string]string
}

// Host runs Starlark files under one Config, with one load() cache: a
// module is executed once per Host however many files load it.
type Host struct {
	cfg         Config
	predeclared starlark.StringDict
	loads       *loadCache

	srcMu   sync.Mutex
	sources map[string][]byte // file name as Starlark reports it -> source, for diagnostics
}

// New returns a Host for cfg.
func New(cfg Config) *Host {
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	h := &Host{cfg: cfg, sources: map[string][]byte{}}
	h.predeclared = starlark.StringDict{
		"json":   jsonModule,
		"math":   math.Module,
		"time":   starlarktime.Module,
		"struct": starlark.NewBuiltin("struct", starlarkstruct.Make),
	}
	for k, v := range cfg.Predeclared {
		h.predeclared[k] = v
	}
	h.predeclared["help"] = starlark.NewBuiltin("help", h.help)
	h.loads = newLoadCache(h)
	return h
}

// Predeclared returns the names visible in every file besides the
// Starlark universe (json, math, time, struct, help and Config.Predeclared).
func (h *Host) Predeclared() starlark.StringDict { return h.predeclared }

// Root returns the directory load() may not leave.
func (h *Host) Root() string { return h.cfg.Root }

// NewThread returns a thread set up for this host: print to Stdout,
// load() through the cache relative to dir, the step limit, the clock
// policy and Config.InitThread. The thread is cancelled when ctx is;
// call the returned stop function when the thread is done.
func (h *Host) NewThread(ctx context.Context, name, fromFile string) (*starlark.Thread, func()) {
	return h.newThread(ctx, name, fromFile, new(cycleChecker))
}

func (h *Host) newThread(ctx context.Context, name, fromFile string, cc *cycleChecker) (*starlark.Thread, func()) {
	t := &starlark.Thread{
		Name: name,
		Print: func(_ *starlark.Thread, msg string) {
			fmt.Fprintln(h.cfg.Stdout, msg)
		},
	}
	t.Load = func(t *starlark.Thread, module string) (starlark.StringDict, error) {
		// The REPL replaces the context for each statement.
		lctx, ok := t.Local("context").(context.Context)
		if !ok {
			lctx = ctx
		}
		return h.loads.load(lctx, cc, fromFile, module)
	}
	if h.cfg.MaxSteps > 0 {
		t.SetMaxExecutionSteps(h.cfg.MaxSteps)
	}
	t.OnMaxSteps = func(t *starlark.Thread) {
		t.Cancel(fmt.Sprintf("too many steps (the limit is %d; raise it with --max-steps)", h.cfg.MaxSteps))
	}
	allow := h.cfg.AllowClock
	starlarktime.SetNow(t, func() (time.Time, error) {
		if !allow {
			return time.Time{}, fmt.Errorf("time.now() reads the wall clock, which makes results irreproducible; run with --allow-clock to permit it")
		}
		return time.Now(), nil
	})
	t.SetLocal("context", ctx)
	if h.cfg.InitThread != nil {
		h.cfg.InitThread(t)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			t.Cancel("interrupted")
		case <-done:
		}
	}()
	var once sync.Once
	return t, func() { once.Do(func() { close(done) }) }
}

// ExecFile runs the script at path (absolute, or relative to the process
// directory) as the main module and returns its globals. The script enters
// the load cache, so a module that loads it back is reported as a cycle.
func (h *Host) ExecFile(ctx context.Context, path string) (starlark.StringDict, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if h.cfg.Root == "" {
		h.cfg.Root = filepath.Dir(abs)
	}
	return h.loads.loadMain(ctx, abs)
}

// ExecLibrary runs a module of the embedded library ("@daf/default.star")
// as the main module. Its loads stay in the library.
func (h *Host) ExecLibrary(ctx context.Context, name string) (starlark.StringDict, error) {
	key, err := stdlibKey(name, strings.TrimPrefix(name, StdlibPrefix))
	if err != nil {
		return nil, err
	}
	if h.cfg.Root == "" {
		h.cfg.Root = h.cfg.WorkDir
	}
	return h.loads.loadMain(ctx, key)
}

// ExecSource runs src as a file named name (used by tests and the fuzzer).
// Loads resolve relative to the directory of name.
func (h *Host) ExecSource(ctx context.Context, name string, src []byte) (globals starlark.StringDict, err error) {
	from := name
	if !filepath.IsAbs(from) {
		wd := h.cfg.WorkDir
		if wd == "" {
			wd, _ = os.Getwd()
		}
		from = filepath.Join(wd, name)
	}
	if h.cfg.Root == "" {
		h.cfg.Root = filepath.Dir(from)
	}
	t, stop := h.NewThread(ctx, name, from)
	defer stop()
	defer recoverPanic(&err, name)
	h.remember(name, src)
	return starlark.ExecFileOptions(FileOptions(), t, name, src, h.predeclared)
}

func (h *Host) remember(name string, src []byte) {
	h.srcMu.Lock()
	h.sources[name] = src
	h.srcMu.Unlock()
}

// Source returns the text of a file this host has read, for diagnostics.
func (h *Host) Source(name string) ([]byte, bool) {
	h.srcMu.Lock()
	defer h.srcMu.Unlock()
	src, ok := h.sources[name]
	return src, ok
}

// InternalError is a Go panic caught at the boundary of Starlark
// execution, so that no panic reaches the user.
type InternalError struct {
	Where string
	Value any
	Stack string
}

func (e *InternalError) Error() string {
	return fmt.Sprintf("internal error while running %s: %v (this is a bug in dafscript; please report it with the script that triggered it)", e.Where, e.Value)
}

func recoverPanic(err *error, where string) {
	if r := recover(); r != nil {
		*err = &InternalError{Where: where, Value: r, Stack: stack()}
	}
}

// help prints the documentation of a builtin, a module or a function.
func (h *Host) help(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value = starlark.None
	if err := starlark.UnpackPositionalArgs("help", args, kwargs, 0, &x); err != nil {
		return nil, err
	}
	out := t.Print
	if out == nil {
		out = func(_ *starlark.Thread, s string) { fmt.Fprintln(os.Stdout, s) }
	}
	out(t, h.Help(x))
	return starlark.None, nil
}

// Help returns the text help(x) prints.
func (h *Host) Help(x starlark.Value) string {
	switch x := x.(type) {
	case starlark.NoneType:
		var b strings.Builder
		b.WriteString("help(x) describes x: a daf builtin (help(daf.episode)), a module (help(daf)), or a function.\nGlobals:")
		names := make([]string, 0, len(h.predeclared))
		for k := range h.predeclared {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, n := range names {
			b.WriteString(" " + n)
		}
		return b.String()
	case starlark.String:
		if d, ok := h.doc(string(x)); ok {
			return d
		}
		return fmt.Sprintf("no documentation for %q", string(x))
	case *starlark.Builtin:
		if d, ok := h.doc(x.Name()); ok {
			return d
		}
		return fmt.Sprintf("%s: built-in function (no documentation)", x.Name())
	case *starlark.Function:
		sig := x.Name() + "(" + strings.Join(paramNames(x), ", ") + ")"
		if x.Doc() != "" {
			return sig + "\n\n" + x.Doc()
		}
		return sig
	case *starlarkstruct.Module:
		var b strings.Builder
		fmt.Fprintf(&b, "module %s:", x.Name)
		names := make([]string, 0, len(x.Members))
		for k := range x.Members {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, n := range names {
			first := ""
			if d, ok := h.doc(x.Name + "." + n); ok {
				first, _, _ = strings.Cut(d, "\n")
			}
			b.WriteString(strings.TrimRight(fmt.Sprintf("\n  %s.%-24s %s", x.Name, n, first), " "))
		}
		return b.String()
	}
	// A member of a predeclared module (daf.vars) is documented by its
	// dotted name.
	for modName, v := range h.predeclared {
		if m, ok := v.(*starlarkstruct.Module); ok {
			for name, member := range m.Members {
				if same(member, x) {
					if d, ok := h.doc(modName + "." + name); ok {
						return d
					}
				}
			}
		}
	}
	return fmt.Sprintf("%s: a value of type %s", x.String(), x.Type())
}

// same reports whether a and b are the same object (not merely equal).
func same(a, b starlark.Value) bool {
	switch a := a.(type) {
	case *starlark.Dict:
		b, ok := b.(*starlark.Dict)
		return ok && a == b
	case *starlark.List:
		b, ok := b.(*starlark.List)
		return ok && a == b
	}
	return false
}

func (h *Host) doc(name string) (string, bool) {
	if d, ok := h.cfg.Docs[name]; ok {
		return d, true
	}
	if short, ok := strings.CutPrefix(name, "daf."); ok {
		d, ok := h.cfg.Docs[short]
		return d, ok
	}
	d, ok := h.cfg.Docs["daf."+name]
	return d, ok
}

func paramNames(f *starlark.Function) []string {
	var names []string
	for i := 0; i < f.NumParams(); i++ {
		n, _ := f.Param(i)
		names = append(names, n)
	}
	return names
}
