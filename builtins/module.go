// Package builtins is the `daf` module of dafscript: it converts Starlark
// values to Go types, validates them, calls runtime/ and returns frozen
// Starlark results. Each capability has its own file (compare.go,
// train.go, ...); Table lists every builtin, and NewModule gathers them.
package builtins

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/dafscript/dafscript/runtime/cache"
	"github.com/dafscript/dafscript/runtime/dist"
	"github.com/dafscript/dafscript/runtime/output"
)

// Env holds the per-run settings every builtin sees; interp attaches it to
// each Starlark thread with SetEnv.
type Env struct {
	Ctx          context.Context // cancelled on Ctrl-C
	Seed         uint64          // default seed of every daf call
	Jobs         int             // goroutines for episode work
	OutDir       string          // default ./daf_output
	Vars         map[string]string
	Stdout       io.Writer
	Stderr       io.Writer
	Logger       *slog.Logger
	Interactive  bool // stderr is a terminal: show progress bars
	AllowClock   bool
	ScriptPath   string
	ScriptSHA256 string
	Version      string
	// MaxSteps, when > 0, overrides every mission's episode length
	// (the --episode-steps flag).
	MaxSteps int
	// AllowWrite are the directories besides OutDir that a path= argument
	// may write into (--allow-write); Protected returns the files a
	// script never overwrites (itself and what it loaded).
	AllowWrite []string
	Protected  func() []string
	// Root is the folder a script may read (load() files, map files);
	// empty: the working directory.
	Root string
	// RunSession, when set, is the session of the whole run: every
	// operation the script calls is a step of it (see op.Run).
	RunSession func() (*output.Session, error)
	// WorkDir is the directory relative file paths given to builtins
	// (packages, registries) are resolved against; "" leaves them
	// relative to the process's working directory.
	WorkDir string
	// Resume is a session folder (--resume) to resume from: a sweep finds
	// its journal there by its name, a daf.pipeline of the same name reuses
	// its finished stages.
	Resume string
	// Executor and Cache are the run's executor of episode jobs and its
	// result cache (--nats, --no-cache), as op.Run takes them; nil: the
	// local pool, no cache.
	Executor func(*output.Session) (dist.Executor, error)
	Cache    func() (*cache.Cache, error)

	// launched counts the trainings of daf.launch_training still running.
	launched sync.WaitGroup
	cancels  []context.CancelFunc
}

// ScriptDir returns the folder of the script run, against which the
// files a script names are resolved (ReadRoot for a library script).
func (e *Env) ScriptDir() string {
	if filepath.IsAbs(e.ScriptPath) {
		return filepath.Dir(e.ScriptPath)
	}
	return e.ReadRoot()
}

// ReadRoot returns Root, or the working directory when it is empty.
func (e *Env) ReadRoot() string {
	if e.Root != "" {
		return e.Root
	}
	if e.WorkDir != "" {
		return e.WorkDir
	}
	wd, _ := os.Getwd()
	return wd
}

// WriteRules returns the rules output.ResolveWrite applies to a path a
// script names.
func (e *Env) WriteRules() output.WriteRules {
	r := output.WriteRules{Out: e.OutDir, Allow: e.AllowWrite}
	if e.Protected != nil {
		r.Protected = e.Protected()
	}
	if e.ScriptPath != "" {
		r.Protected = append(r.Protected, e.ScriptPath)
	}
	return r
}

// Path resolves a file path a script gave against WorkDir.
func (e *Env) Path(p string) string {
	if p == "" || e.WorkDir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(e.WorkDir, p)
}

// DefaultOutDir is where results go unless --out says otherwise.
const DefaultOutDir = "daf_output"

const envKey = "daf.env"

// SetEnv attaches e to t.
func SetEnv(t *starlark.Thread, e *Env) { t.SetLocal(envKey, e) }

// EnvOf returns the Env attached to t, with its zero fields filled in
// (background context, one job, ./daf_output, discarded output). A thread
// without an Env gets those defaults, so builtins never see nil.
func EnvOf(t *starlark.Thread) *Env {
	var e *Env
	if t != nil {
		e, _ = t.Local(envKey).(*Env)
	}
	if e == nil {
		e = &Env{}
		if t != nil {
			t.SetLocal(envKey, e)
		}
	}
	envMu.Lock()
	if !e.complete() {
		e.fillDefaults()
	}
	envMu.Unlock()
	return e
}

// envMu serialises the first EnvOf of an Env, which fills its defaults;
// later calls only read.
var envMu sync.Mutex

func (e *Env) complete() bool {
	return e.Ctx != nil && e.Jobs >= 1 && e.OutDir != "" && e.Stdout != nil && e.Stderr != nil && e.Logger != nil
}

func (e *Env) fillDefaults() {
	if e.Ctx == nil {
		e.Ctx = context.Background()
	}
	if e.Jobs < 1 {
		e.Jobs = 1
	}
	if e.OutDir == "" {
		e.OutDir = DefaultOutDir
	}
	if e.Stdout == nil {
		e.Stdout = io.Discard
	}
	if e.Stderr == nil {
		e.Stderr = io.Discard
	}
	if e.Logger == nil {
		e.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Context returns the run's context: builtins pass it to long work so that
// Ctrl-C stops it.
func (e *Env) Context() context.Context {
	if e.Ctx == nil {
		return context.Background()
	}
	return e.Ctx
}

// Func is the Go implementation of a builtin. b.Name() is "daf.<name>".
type Func func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

type registered struct {
	doc string
	fn  Func
}

// Builtin is one function of the daf module.
type Builtin struct {
	Name string // without "daf."
	Doc  string // the signature line, a blank line, the description
	Fn   Func
}

// Table is every builtin of the daf module, in one place.
var Table = []Builtin{
	{"analyze_mission", analyzeMissionDoc, builtinAnalyzeMission},
	{"analyze_performance", analyzePerformanceDoc, builtinAnalyzePerformance},
	{"check_environment", checkEnvironmentDoc, builtinCheckEnvironment},
	{"recommended_device", recommendedDeviceDoc, builtinRecommendedDevice},
	{"benchmark", benchmarkDoc, builtinBenchmark},
	{"compare", compareDoc, builtinCompare},
	{"episode", episodeDoc, builtinEpisode},
	{"evaluate", evaluateDoc, builtinEvaluate},
	{"missions", missionsDoc, builtinMissions},
	{"mission", missionDoc, builtinMission},
	{"pipeline", pipelineDoc, builtinPipeline},
	{"policy", policyDoc, builtinPolicy},
	{"export_html", exportHTMLDoc, builtinExportHTML},
	{"export_markdown", exportMarkdownDoc, builtinExportMarkdown},
	{"stage", stageDoc, builtinStage},
	{"suite", suiteDoc, builtinSuite},
	{"train", trainDoc, builtinTrain},
	{"package", packageDoc, builtinPackage},
	{"validate", validateDoc, builtinValidate},
	{"deploy", deployDoc, builtinDeploy},
	{"rollback", rollbackDoc, builtinRollback},
	{"registry", registryDoc, builtinRegistry},
	{"remote_policy", remotePolicyDoc, builtinRemotePolicy},
	{"sweep", sweepDoc, builtinSweep},
	{"sweep_best", sweepBestDoc, builtinSweepBest},
	{"load_config", loadConfigDoc, builtinLoadConfig},
	{"launch_training", launchTrainingDoc, builtinLaunchTraining},
}

var (
	regMu    sync.RWMutex
	registry = fromTable(Table)
)

func fromTable(t []Builtin) map[string]registered {
	m := make(map[string]registered, len(t))
	for _, b := range t {
		m[b.Name] = registered{doc: strings.TrimSpace(b.Doc), fn: b.Fn}
	}
	return m
}

// Register adds the builtin daf.<name> beside those of Table (tests add
// their own). doc starts with the signature line, then a
// blank line and the description (help(daf.name) prints it). A duplicate
// or malformed registration is a programming error and panics.
func Register(name, doc string, fn Func) {
	if name == "" || strings.HasPrefix(name, "daf.") || strings.ContainsAny(name, ". ") || fn == nil {
		panic(fmt.Sprintf("builtins.Register: bad builtin %q (want a bare name such as \"compare\" and a function)", name))
	}
	if name == "vars" {
		panic("builtins.Register: daf.vars is reserved")
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("builtins.Register: daf." + name + " registered twice")
	}
	registry[name] = registered{doc: strings.TrimSpace(doc), fn: fn}
}

// Names returns the registered builtin names (without "daf."), sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	return slices.Sorted(maps.Keys(registry))
}

// Docs returns the documentation of every builtin, keyed "daf.<name>",
// plus "daf.vars".
func Docs() map[string]string {
	regMu.RLock()
	defer regMu.RUnlock()
	docs := make(map[string]string, len(registry)+1)
	for n, r := range registry {
		docs["daf."+n] = r.doc
	}
	docs["daf.vars"] = varsDoc
	return docs
}

const varsDoc = `daf.vars

A frozen dict of the --var NAME=VALUE pairs given on the command line
(values are strings): daf.vars.get("episodes", "10").`

// NewModule returns the daf module: every registered builtin (named
// "daf.<name>" so that errors say which one failed) and daf.vars, a frozen
// dict of e.Vars.
func NewModule(e *Env) *starlarkstruct.Module {
	regMu.RLock()
	members := make(starlark.StringDict, len(registry)+1)
	for n, r := range registry {
		members[n] = starlark.NewBuiltin("daf."+n, guard(r.fn))
	}
	regMu.RUnlock()

	vars := starlark.NewDict(0)
	if e != nil {
		keys := slices.Sorted(maps.Keys(e.Vars))
		for _, k := range keys {
			_ = vars.SetKey(starlark.String(k), starlark.String(e.Vars[k]))
		}
	}
	vars.Freeze()
	members["vars"] = vars
	return &starlarkstruct.Module{Name: "daf", Members: members}
}

// guard makes every builtin error start with its name and turns a Go
// panic into an error instead of a crash.
func guard(fn Func) func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (v starlark.Value, err error) {
		defer func() {
			if r := recover(); r != nil {
				EnvOf(t).Logger.Error("panic in builtin", "builtin", b.Name(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				v, err = nil, fmt.Errorf("%s: internal error: %v (this is a bug in dafscript; please report it with the script that triggered it)", b.Name(), r)
			}
		}()
		v, err = fn(t, b, args, kwargs)
		if err != nil {
			if _, ok := err.(*starlark.EvalError); !ok && !strings.HasPrefix(err.Error(), b.Name()+":") {
				err = fmt.Errorf("%s: %w", b.Name(), err)
			}
			return nil, err
		}
		if v == nil {
			v = starlark.None
		}
		return v, nil
	}
}
