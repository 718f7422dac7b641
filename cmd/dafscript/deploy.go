package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strconv"
	"syscall"

	"github.com/dafscript/dafscript/runtime/deploy"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/pkg"
	"github.com/dafscript/dafscript/runtime/serve"
	"github.com/dafscript/dafscript/sim/policy"
)

// The deployment commands: package, validate, deploy, rollback, registry
// and serve. Each converts its flags to the options of runtime/deploy's
// operations (runtime/serve's for serve), as daf.package, daf.validate,
// daf.deploy, daf.rollback and daf.registry do from a script.

// formatProblem checks an output format flag; a non-empty result is the
// usage error.
func formatProblem(format string) string {
	if format != "table" && format != "json" && format != "yaml" {
		return fmt.Sprintf("--format %q: want table, json or yaml", format)
	}
	return ""
}

func packageCmd() *Command {
	c := &Command{
		Name:    "package",
		Usage:   "dafscript package POLICY --name NAME --version VERSION [--path FILE.dafpkg] [--format table|json|yaml] [--out DIR]",
		Summary: "package a policy into a reproducible .dafpkg file",
		Help: `Packages POLICY into one .dafpkg file (a tar.gz holding manifest.json and,
for a neural policy, its weights). POLICY is a scripted policy ("baseline",
"baseline?greedy=true") or a neural class with its checkpoint folder
("lstm:daf_output/training/<session>/checkpoints/final"). The same policy,
name, version and checkpoint give the same bytes. The file goes to --path,
or into the session folder DIR/deployment/<session>/NAME-VERSION.dafpkg;
the result is written to package.json there. As daf.package.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		name := fs.String("name", "", "package `name`")
		version := fs.String("version", "", "package `version`, e.g. 1.0.0")
		path := fs.String("path", "", "write the package to `FILE`.dafpkg (default: into the session folder)")
		format := fs.String("format", "table", "output `format`: table, json or yaml")
		out := fs.String("out", "daf_output", "output `directory`")
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) != 1 {
			return usageError(st, c, "want one POLICY (e.g. baseline), got %d arguments", len(pos))
		}
		if p := formatProblem(*format); p != "" {
			return usageError(st, c, "%s", p)
		}
		spec, _, err := policy.ParseSpec(pos[0])
		if err != nil {
			return usageError(st, c, "%v", err)
		}
		if spec.Data != "" {
			if spec.Data, err = absPath(st, spec.Data); err != nil {
				return runFailed(st, c.Name, err)
			}
		}
		o := pkg.Options{Policy: spec, Name: *name, Version: *version}
		if *path != "" {
			if o.Out, err = absPath(st, *path); err != nil {
				return runFailed(st, c.Name, err)
			}
		}
		_, code = doCommand(st, c, *out, 1, nil, deploy.PackageOperation, op.Call[pkg.Options]{Options: o,
			Args: map[string]any{"command": c.Name, "policy": pos[0], "name": *name, "version": *version, "path": *path}},
			showAs(*format, (*pkg.Result).WriteText), "results")
		return code
	}
	return c
}

// gateFlags are the flags of the validation gate (validate and deploy).
type gateFlags struct {
	missions  listFlag
	episodes  int
	minReward string
	against   string
	alpha     float64
	seed      uint64
	steps     int
	jobs      int
	format    string
	out       string
}

func (g *gateFlags) define(fs *flag.FlagSet, st *State) {
	fs.Var(&g.missions, "m", "`mission` to play (repeat, or comma-separate, for several; none: check hashes and loading only)")
	fs.Var(&g.missions, "mission", "same as -m")
	fs.IntVar(&g.episodes, "e", 10, "`episodes` per mission")
	fs.IntVar(&g.episodes, "episodes", 10, "same as -e")
	fs.StringVar(&g.minReward, "min-reward", "", "the least mean episode `reward` the package must reach")
	fs.StringVar(&g.against, "against", "", "reference `policy` (e.g. baseline) the package must not be significantly worse than")
	fs.Float64Var(&g.alpha, "alpha", deploy.DefaultAlpha, "significance `level` of the comparison with --against")
	fs.Uint64Var(&g.seed, "seed", 0, "base `seed` of the episodes")
	fs.IntVar(&g.steps, "episode-steps", 0, "cap every episode at `N` steps (0: each mission's own length)")
	fs.IntVar(&g.jobs, "jobs", st.NumCPU, "play episodes on `N` goroutines (results do not depend on it)")
	fs.StringVar(&g.format, "format", "table", "output `format`: table, json or yaml")
	fs.StringVar(&g.out, "out", "daf_output", "output `directory`")
}

// parse parses the arguments of c (validate or deploy: one PKG and the
// gate's flags, defined on fs beforehand) and converts them. ok is false
// when c should return code at once.
func (g *gateFlags) parse(st *State, c *Command, fs *flag.FlagSet, args []string) (pkgArg string, o deploy.ValidateOptions, code int, ok bool) {
	pos, code, ok := parseFlags(st, c, fs, args)
	if !ok {
		return "", o, code, false
	}
	if len(pos) != 1 {
		return "", o, usageError(st, c, "want one PKG (a .dafpkg file), got %d arguments", len(pos)), false
	}
	if p := formatProblem(g.format); p != "" {
		return "", o, usageError(st, c, "%s", p), false
	}
	path, err := absPath(st, pos[0])
	if err != nil {
		return "", o, runFailed(st, c.Name, err), false
	}
	if o, err = g.options(path); err != nil {
		return "", o, usageError(st, c, "%v", err), false
	}
	return pos[0], o, ExitOK, true
}

// options converts the flags; Check judges them. An error is a usage
// error.
func (g *gateFlags) options(pkgPath string) (deploy.ValidateOptions, error) {
	o := deploy.ValidateOptions{Package: pkgPath, Missions: []string(g.missions), Episodes: g.episodes,
		Against: g.against, Alpha: g.alpha, Seed: g.seed, MaxSteps: g.steps}
	if g.minReward != "" {
		f, err := strconv.ParseFloat(g.minReward, 64)
		if err != nil {
			return o, fmt.Errorf("--min-reward %q: want a number", g.minReward)
		}
		o.MinReward = &f
	}
	return o, nil
}

func (g *gateFlags) args(c *Command, pkgArg string) map[string]any {
	a := map[string]any{"command": c.Name, "package": pkgArg, "missions": []string(g.missions), "episodes": g.episodes,
		"against": g.against, "alpha": g.alpha, "episode_steps": g.steps}
	if g.minReward != "" {
		a["min_reward"] = g.minReward
	}
	return a
}

func gateValidateCmd() *Command {
	c := &Command{
		Name:    "validate",
		Usage:   "dafscript validate PKG [-m MISSION...] [-e N] [--min-reward R] [--against POLICY] [--alpha A] [--seed S] [--episode-steps N] [--jobs N] [--format table|json|yaml] [--out DIR]",
		Summary: "run the validation gate on a package",
		Help: `Checks the package PKG: its hashes match, it loads, it plays -e episodes on
each -m mission without an error, its mean episode reward is at least
--min-reward, and it is not significantly worse than --against (a one-sided
Welch t-test at level --alpha) on the same episodes. The verdict and every
check are printed and written to DIR/deployment/<session>/validation.json.
The exit code is 1 when the package fails a check. As daf.validate.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		var g gateFlags
		g.define(fs, st)
		pkgArg, o, code, ok := g.parse(st, c, fs, args)
		if !ok {
			return code
		}
		res, code := doCommand(st, c, g.out, g.jobs, nil, deploy.ValidateOperation,
			op.Call[deploy.ValidateOptions]{Options: o, Seed: g.seed, Args: g.args(c, pkgArg)},
			showAs(g.format, (*deploy.ValidationResult).WriteText), "results")
		if code != ExitOK {
			return code
		}
		if !res.Passed {
			fmt.Fprintf(st.Stderr, "dafscript validate: %s failed validation\n", pkgArg)
			return ExitError
		}
		return ExitOK
	}
	return c
}

func deployCmd() *Command {
	c := &Command{
		Name:    "deploy",
		Usage:   "dafscript deploy PKG [--registry DIR] [--force] [-m MISSION... -e N --min-reward R --against POLICY --alpha A --seed S --episode-steps N] [--format table|json|yaml] [--out DIR]",
		Summary: "validate a package and deploy it into a registry",
		Help: `Runs the validation gate on PKG (the flags of dafscript validate; with no
-m only the hashes and the loading are checked) and, when it passes,
stores PKG in the registry folder as NAME/versions/VERSION and makes it
NAME's current version. --registry defaults to DIR/registry. A package
that fails the gate is refused (exit code 1) unless --force; one whose
hashes do not match is refused even then. validation.json and deploy.json
are written to DIR/deployment/<session>/. As daf.deploy.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		var g gateFlags
		g.define(fs, st)
		reg := fs.String("registry", "", "registry `folder` (default: the output directory's registry/)")
		force := fs.Bool("force", false, "deploy even if the package fails the gate")
		pkgArg, gate, code, ok := g.parse(st, c, fs, args)
		if !ok {
			return code
		}
		o := deploy.Options{Package: gate.Package, Gate: gate, Force: *force}
		if *reg != "" {
			var err error
			if o.Registry, err = absPath(st, *reg); err != nil {
				return runFailed(st, c.Name, err)
			}
		}
		a := g.args(c, pkgArg)
		a["registry"], a["force"] = *reg, *force
		_, code = doCommand(st, c, g.out, g.jobs, nil, deploy.DeployOperation,
			op.Call[deploy.Options]{Options: o, Seed: g.seed, Args: a},
			showAs(g.format, (*deploy.Result).WriteText), "results")
		return code
	}
	return c
}

func rollbackCmd() *Command {
	c := &Command{
		Name:    "rollback",
		Usage:   "dafscript rollback NAME [--registry DIR] [--format table|json|yaml] [--out DIR]",
		Summary: "make the previous version of a deployed policy current again",
		Help: `Makes the version of policy NAME that was current before the present one
current again, in the registry folder (--registry, default DIR/registry).
A server following the registry (dafscript serve REGISTRY/NAME) switches
within a second. rollback.json is written to DIR/deployment/<session>/.
As daf.rollback.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		reg := fs.String("registry", "", "registry `folder` (default: the output directory's registry/)")
		format := fs.String("format", "table", "output `format`: table, json or yaml")
		out := fs.String("out", "daf_output", "output `directory`")
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) != 1 {
			return usageError(st, c, "want one policy NAME, got %d arguments", len(pos))
		}
		if p := formatProblem(*format); p != "" {
			return usageError(st, c, "%s", p)
		}
		o := deploy.RollbackOptions{Name: pos[0]}
		var err error
		if *reg != "" {
			if o.Registry, err = absPath(st, *reg); err != nil {
				return runFailed(st, c.Name, err)
			}
		}
		_, code = doCommand(st, c, *out, 1, nil, deploy.RollbackOperation, op.Call[deploy.RollbackOptions]{Options: o,
			Args: map[string]any{"command": c.Name, "name": pos[0], "registry": *reg}},
			showAs(*format, (*deploy.RollbackResult).WriteText), "results")
		return code
	}
	return c
}

func registryCmd() *Command {
	c := &Command{
		Name:    "registry",
		Usage:   "dafscript registry [DIR] [--format table|json|yaml] [--out DIR]",
		Summary: "list the policies of a registry",
		Help: `Lists the registry folder DIR (default: the output directory's registry/):
every deployed policy with its current version, every version stored and
the versions current before (newest first). As daf.registry.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		format := fs.String("format", "table", "output `format`: table, json or yaml")
		out := fs.String("out", "daf_output", "output `directory`")
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) > 1 {
			return usageError(st, c, "want at most one registry DIR, got %d arguments", len(pos))
		}
		if p := formatProblem(*format); p != "" {
			return usageError(st, c, "%s", p)
		}
		root, err := absPath(st, *out)
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		dir := ""
		if len(pos) == 1 {
			if dir, err = absPath(st, pos[0]); err != nil {
				return runFailed(st, c.Name, err)
			}
		}
		l, err := deploy.List(st.Ctx, deploy.RegistryDir(root, dir))
		if err == nil {
			err = writeResult(st, *format, l, l.WriteText)
		}
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		return ExitOK
	}
	return c
}

func serveCmd() *Command {
	c := &Command{
		Name:    "serve",
		Usage:   "dafscript serve PKG|REGISTRY/NAME [--addr 127.0.0.1:8080] [--token T] [--public] [--max-body BYTES] [--max-batch N]",
		Summary: "serve a policy over HTTP",
		Help: `Serves the package PKG (a .dafpkg file) or the current version of policy
NAME in the registry folder REGISTRY (following it: when the registry's
current version changes, by a deploy or a rollback, new sessions get the
new one) over HTTP: POST /v1/act (JSON or binary batches of observations
-> actions), DELETE /v1/sessions/ID, GET /healthz, /readyz and /metrics
(Prometheus). It binds a loopback address unless --public; with --token
every endpoint but /healthz and /readyz wants "Authorization: Bearer T".
SIGINT (Ctrl-C) or SIGTERM shut it down gracefully: /readyz answers 503,
requests in flight finish. A package that does not verify or load is not
served (exit code 1), nor is a port in use. See docs/deployment.md.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		o := serve.Options{}
		fs.StringVar(&o.Addr, "addr", serve.DefaultAddr, "listen on `HOST:PORT` (port 0: any free port)")
		fs.StringVar(&o.Token, "token", "", "require this bearer `token` (also read from DAFSCRIPT_SERVE_TOKEN)")
		fs.BoolVar(&o.Public, "public", false, "allow an address other than loopback (use a token)")
		fs.Int64Var(&o.MaxBodyBytes, "max-body", 4<<20, "request size limit in `bytes`")
		fs.IntVar(&o.MaxBatch, "max-batch", 4096, "observations per request, at most `N`")
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) != 1 {
			return usageError(st, c, "want one PKG (a .dafpkg file) or REGISTRY/NAME, got %d arguments", len(pos))
		}
		if o.Token == "" {
			o.Token = st.Getenv("DAFSCRIPT_SERVE_TOKEN")
		}
		o.ParseSource(pos[0])
		var err error
		if o.Package != "" {
			o.Package, err = absPath(st, o.Package)
		} else {
			o.Registry, err = absPath(st, o.Registry)
		}
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		if err := o.Check(); err != nil {
			return runFailed(st, c.Name, op.Wrap(op.Usage, err))
		}
		o.Log = log.New(st.Stderr, "dafscript serve: ", 0)
		ctx, cancel := serveContext(st)
		defer cancel()
		err = serve.Run(ctx, o, func(addr string) {
			fmt.Fprintf(st.Stderr, "dafscript serve: serving %s on http://%s (Ctrl-C or SIGTERM stops)\n", pos[0], addr)
		})
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		fmt.Fprintln(st.Stderr, "dafscript serve: stopped")
		return ExitOK
	}
	return c
}

// serveContext is cancelled by Ctrl-C (st.Interrupt) or SIGTERM
// (st.Notify), so that serve shuts down gracefully.
func serveContext(st *State) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(st.Ctx)
	var term <-chan os.Signal
	stop := func() {}
	if st.Notify != nil {
		term, stop = st.Notify(syscall.SIGTERM)
	}
	go func() {
		select {
		case <-st.Interrupt:
		case <-term:
		case <-ctx.Done():
		}
		cancel()
	}()
	return ctx, func() { stop(); cancel() }
}
