package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/dafscript/dafscript/builtins"
	"github.com/dafscript/dafscript/interp"
	"github.com/dafscript/dafscript/runtime/logging"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/stdlib"
)

// ScriptFlags are the flags of every command that runs Starlark: run,
// repl and test. Commands of other capabilities may register them too.
type ScriptFlags struct {
	Vars     map[string]string
	Seed     uint64
	Out      string
	Jobs     int
	MaxSteps uint64
	// EpisodeSteps, when > 0, caps the length of every episode.
	EpisodeSteps int
	AllowClock   bool
	AllowWrite   []string
	Verbose      bool
	Quiet        bool
	// Resume is the session (--resume, run and pipeline only) to resume
	// from: the script's sweeps find their journals there by name, and a
	// daf.pipeline of the same name reuses its finished stages.
	Resume string

	// Dist chooses where episodes run (--nats) and whether finished ones
	// are reused (--no-cache).
	Dist distFlags

	// logger, once openLog has run, also writes JSON lines to the run's
	// log file.
	logger *slog.Logger
	// dist is the run's executor and cache, made by distribution.
	distOnce sync.Once
	dist     *runDist
}

// distribution returns the run's executor and cache (opened on first
// use); ctx is the run's context.
func (f *ScriptFlags) distribution(st *State, ctx context.Context) *runDist {
	f.distOnce.Do(func() {
		f.dist = newRunDist(st, ctx, &f.Dist, f.Jobs)
		f.dist.log = f.Logger(st)
	})
	return f.dist
}

// Register adds the script flags to fs; defaults come from st.
func (f *ScriptFlags) Register(fs *flag.FlagSet, st *State) {
	f.Vars = map[string]string{}
	fs.Func("var", "set `name=value` in daf.vars (repeatable)", func(s string) error {
		name, value, ok := strings.Cut(s, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return fmt.Errorf("want name=value, got %q", s)
		}
		if _, dup := f.Vars[name]; dup {
			return fmt.Errorf("%s given twice", name)
		}
		f.Vars[name] = value
		return nil
	})
	fs.Uint64Var(&f.Seed, "seed", 0, "default `seed` of every daf call that takes one")
	fs.StringVar(&f.Out, "out", "daf_output", "output `directory` for sessions, results and reports")
	fs.IntVar(&f.Jobs, "jobs", st.NumCPU, "run episode work on `N` goroutines")
	fs.Uint64Var(&f.MaxSteps, "max-steps", 0, "stop a script after `N` Starlark computation steps per thread (0: no limit)")
	fs.IntVar(&f.EpisodeSteps, "episode-steps", 0, "cap every episode at `N` simulator steps (0: each mission's own length)")
	fs.BoolVar(&f.AllowClock, "allow-clock", false, "let time.now() read the wall clock (results may no longer be reproducible)")
	fs.Func("allow-write", "let path= arguments write under `DIR` besides --out (repeatable)", func(s string) error { f.AllowWrite = append(f.AllowWrite, s); return nil })
	fs.BoolVar(&f.Verbose, "v", false, "verbose: log debug messages")
	fs.BoolVar(&f.Quiet, "q", false, "quiet: log only warnings and errors")
	f.Dist.define(fs)
}

// resolveResume turns --resume SESSION into the folder it names (a
// session, a step of one, FOLDER/ID or an id under --out), where the
// script's sweeps and pipelines find their journals by name.
func (f *ScriptFlags) resolveResume(st *State) error {
	if f.Resume == "" {
		return nil
	}
	dir, err := resumeFolder(st, f.Out, f.Resume)
	if err != nil {
		return fmt.Errorf("--resume: %v", err)
	}
	f.Resume = dir
	return nil
}

// parseResumable parses the flags of a command that runs a script and
// takes --resume (run and pipeline) into sf, checks them and resolves
// --resume. It returns the positional arguments, or ok false and the exit
// code of the usage error already reported.
func parseResumable(st *State, c *Command, sf *ScriptFlags, args []string) (pos []string, code int, ok bool) {
	fs := newFlagSet(c)
	sf.Register(fs, st)
	fs.StringVar(&sf.Resume, "resume", "", "resume the script's sweeps and pipelines from `SESSION` (an id, FOLDER/ID under --out, or a folder): finished trials and stages are reused")
	if pos, code, ok = parseFlags(st, c, fs, args); !ok {
		return nil, code, false
	}
	if err := sf.check(); err != nil {
		return nil, usageError(st, c, "%v", err), false
	}
	if err := sf.resolveResume(st); err != nil {
		return nil, usageError(st, c, "%v", err), false
	}
	return pos, ExitOK, true
}

func (f *ScriptFlags) check() error {
	if f.Jobs < 1 {
		return fmt.Errorf("-jobs must be at least 1, got %d", f.Jobs)
	}
	if f.EpisodeSteps < 0 {
		return fmt.Errorf("-episode-steps must be 0 or more, got %d", f.EpisodeSteps)
	}
	if f.Verbose && f.Quiet {
		return errors.New("-v and -q exclude each other")
	}
	if f.Out == "" {
		return errors.New("-out must name a directory")
	}
	o := f.Dist.options()
	return o.Check()
}

// Logger returns the logger the flags ask for: readable lines on
// st.Stderr and, after openLog, JSON lines in the run's log file.
func (f *ScriptFlags) Logger(st *State) *slog.Logger {
	if f.logger != nil {
		return f.logger
	}
	return slog.New(logging.NewTextHandler(st.Stderr, logging.Level(f.Verbose, f.Quiet)))
}

// openLog starts the run's JSON log, <out>/logs/daf_<session>.log, which
// Logger then writes to as well. Close the returned closer at the end of
// the run.
func (f *ScriptFlags) openLog(st *State) (io.Closer, error) {
	out, err := absPath(st, f.Out)
	if err != nil {
		return nil, err
	}
	log, closer, _, err := logging.ForRun(st.Stderr, logging.Level(f.Verbose, f.Quiet), out)
	if err != nil {
		return nil, fmt.Errorf("-out %s: %w", f.Out, err)
	}
	f.logger = log
	return closer, nil
}

func runCmd() *Command {
	return &Command{
		Name:    "run",
		Usage:   "dafscript run [flags] FILE.star",
		Summary: "run a Starlark experiment script",
		Help: `Run executes FILE.star. The script calls the daf module (daf.episode,
daf.compare, ...); daf.vars holds the --var values as strings.
'dafscript FILE.star' is the same as 'dafscript run FILE.star'.
--resume SESSION reruns a script that failed or was killed: each
daf.sweep finds its journal (by the sweep's name) in that session, keeps
the trials that ended and runs the rest; a daf.pipeline of the same name
reuses the stages that finished and runs the rest (docs/pipelines.md).

Exit status: 0 success, 1 script error, 2 usage, 4 environment unhealthy,
130 interrupted (Ctrl-C).`,
		Run: runCommand,
	}
}

func runCommand(st *State, args []string) int {
	c := commands["run"]
	var sf ScriptFlags
	pos, code, ok := parseResumable(st, c, &sf, args)
	if !ok {
		return code
	}
	switch len(pos) {
	case 0:
		return usageError(st, c, "no script given")
	case 1:
	default:
		return usageError(st, c, "one script at a time, got %d (%s); pass values with --var name=value", len(pos), strings.Join(pos, " "))
	}
	return runScript(st, &sf, pos[0])
}

// scriptContext returns a context cancelled by the first interrupt (or
// with st.Ctx); a second interrupt exits at once.
func scriptContext(st *State) (context.Context, func()) {
	ctx, cancel := context.WithCancel(st.Ctx)
	done := make(chan struct{})
	if st.Interrupt != nil {
		go func() {
			select {
			case <-st.Interrupt:
				cancel()
			case <-done:
				return
			}
			// Work that does not stop promptly can be abandoned with a
			// second Ctrl-C.
			select {
			case <-st.Interrupt:
				if st.Exit != nil {
					fmt.Fprintln(st.Stderr, "dafscript: interrupted twice, exiting")
					st.Exit(ExitCancelled)
				}
			case <-done:
			}
		}()
	}
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			cancel()
			close(done)
		})
	}
}

// absPath resolves name against the State's working directory.
func absPath(st *State, name string) (string, error) {
	if filepath.IsAbs(name) {
		return filepath.Clean(name), nil
	}
	wd, err := st.Getwd()
	if err != nil {
		return "", err
	}
	return filepath.Join(wd, name), nil
}

func runScript(st *State, sf *ScriptFlags, script string) int {
	c := commands["run"]
	if strings.HasPrefix(script, interp.StdlibPrefix) {
		return runLibraryScript(st, sf, script)
	}
	path, err := absPath(st, script)
	if err != nil {
		fmt.Fprintf(st.Stderr, "dafscript: %v\n", err)
		return ExitError
	}
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return usageError(st, c, "%s: no such file", script)
	}
	if err != nil {
		fmt.Fprintf(st.Stderr, "dafscript: %v\n", err)
		return ExitError
	}
	wd, _ := st.Getwd()
	return execScript(st, sf, hostParams{
		root:       filepath.Dir(path),
		workDir:    wd,
		scriptPath: path,
		scriptSHA:  sha256Hex(src),
	}, func(ctx context.Context, host *interp.Host) error {
		_, err := host.ExecFile(ctx, path)
		return err
	})
}

// runLibraryScript runs a script shipped in the binary, such as
// @daf/default.star (the demonstration `make run` plays).
func runLibraryScript(st *State, sf *ScriptFlags, name string) int {
	src, err := fs.ReadFile(stdlib.FS, strings.TrimPrefix(name, interp.StdlibPrefix))
	if err != nil {
		return usageError(st, commands["run"], "%s: no such library script; available: %s", name, strings.Join(stdlib.Names(), ", "))
	}
	wd, _ := st.Getwd()
	return execScript(st, sf, hostParams{
		root:       wd,
		workDir:    wd,
		scriptPath: name,
		scriptSHA:  sha256Hex(src),
	}, func(ctx context.Context, host *interp.Host) error {
		_, err := host.ExecLibrary(ctx, name)
		return err
	})
}

// execScript runs one script through exec with the run's log open and
// Ctrl-C wired to cancel it, and returns the exit code.
func execScript(st *State, sf *ScriptFlags, p hostParams, exec func(context.Context, *interp.Host) error) int {
	closeLog, err := sf.openLog(st)
	if err != nil {
		fmt.Fprintf(st.Stderr, "dafscript: %v\n", err)
		return ExitError
	}
	defer closeLog.Close()
	ctx, cancel := scriptContext(st)
	defer cancel()
	p.ctx = ctx
	host, env := newHost(st, sf, p)
	rs := openRunSession(env, p.sessions)
	d := sf.distribution(st, ctx)
	d.session = rs.get
	defer d.close()
	err = exec(ctx, host)
	if err != nil {
		env.CancelLaunched() // trainings still running in the background stop
	}
	env.WaitLaunched()
	if ferr := rs.finish(ctx, err); err == nil {
		err = ferr
	}
	if p.opened != nil && rs.s != nil {
		p.opened(rs.s)
	}
	return reportError(st, host, ctx, err)
}

// runSession is the one session of a script run (a REPL session, a
// *_test.star file), opened by the first operation the script calls
// (daf_output/runs/<id>/, or the folder of the command that runs the
// script: pipelines/<id>/ for dafscript pipeline), every operation a step
// of it, and finished when the script ends.
type runSession struct {
	mu     sync.Mutex
	root   string
	folder string
	info   output.RunInfo
	s      *output.Session
}

// openRunSession makes every operation env's builtins run a step of one
// run session, opened when the first one starts, in folder ("" : runs).
func openRunSession(env *builtins.Env, folder string) *runSession {
	if folder == "" {
		folder = "runs"
	}
	rs := &runSession{root: env.OutDir, folder: folder, info: output.RunInfo{Version: env.Version, ScriptPath: env.ScriptPath,
		ScriptSHA256: env.ScriptSHA256, Vars: env.Vars, Seed: env.Seed}}
	env.RunSession = rs.get
	return rs
}

func (r *runSession) get() (*output.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.s == nil {
		s, err := output.NewManager(r.root).NewSession(r.folder, r.info)
		if err != nil {
			return nil, err
		}
		r.s = s
	}
	return r.s, nil
}

// finish ends the session, if the script opened one, as the script ended.
func (r *runSession) finish(ctx context.Context, err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.s == nil {
		return nil
	}
	status := output.StatusDone
	switch {
	case ctx.Err() != nil || op.KindOf(err) == op.Cancelled:
		status = output.StatusCancelled
	case err != nil:
		status = output.StatusFailed
	}
	return r.s.FinishWithError(status, err)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// reportError prints err (if any) and returns the exit code it maps to.
func reportError(st *State, host *interp.Host, ctx context.Context, err error) int {
	if err == nil {
		return ExitOK
	}
	if ctx.Err() != nil {
		fmt.Fprintln(st.Stderr, "dafscript: interrupted")
		return ExitCancelled
	}
	fmt.Fprint(st.Stderr, host.FormatError(err))
	var ie *interp.InternalError
	if errors.As(err, &ie) && st.Getenv("DAFSCRIPT_TRACEBACK") != "" {
		fmt.Fprintln(st.Stderr, ie.Stack)
	}
	if k := op.KindOf(err); k != op.Usage {
		return k.ExitCode()
	}
	return ExitError // a bad argument to a builtin is a failing script
}

// hostParams are the per-run facts newHost needs besides the flags.
type hostParams struct {
	ctx        context.Context
	root       string // load() may not leave it
	workDir    string
	scriptPath string
	scriptSHA  string
	// sessions is the folder of the run's session: "runs" when empty.
	sessions string
	// opened, when set, receives the run's session once the script has
	// ended, if an operation opened one.
	opened func(*output.Session)
}
