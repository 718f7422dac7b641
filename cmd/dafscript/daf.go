package main

import (
	"github.com/dafscript/dafscript/builtins"
	"github.com/dafscript/dafscript/interp"
	"go.starlark.net/starlark"
)

// hostConfig returns the Starlark host configuration for one run: the daf
// module over an Env built from the flags, attached to every thread.
func hostConfig(st *State, sf *ScriptFlags, p hostParams) (interp.Config, *builtins.Env) {
	env := dafEnv(st, sf, p)
	return interp.Config{
		Root:        p.root,
		MaxSteps:    sf.MaxSteps,
		AllowClock:  sf.AllowClock,
		Stdout:      st.Stdout,
		WorkDir:     p.workDir,
		Predeclared: starlark.StringDict{"daf": builtins.NewModule(env)},
		InitThread:  func(t *starlark.Thread) { builtins.SetEnv(t, env) },
		Docs:        builtins.Docs(),
	}, env
}

// dafEnv returns the Env the daf builtins see for one run.
func dafEnv(st *State, sf *ScriptFlags, p hostParams) *builtins.Env {
	out := sf.Out
	if abs, err := absPath(st, out); err == nil {
		out = abs
	}
	wd, _ := st.Getwd()
	d := sf.distribution(st, p.ctx)
	return &builtins.Env{
		WorkDir:      wd,
		Executor:     d.executor,
		Cache:        d.cache,
		Ctx:          p.ctx,
		Seed:         sf.Seed,
		Jobs:         sf.Jobs,
		OutDir:       out,
		Vars:         sf.Vars,
		Stdout:       st.Stdout,
		Stderr:       st.Stderr,
		Logger:       sf.Logger(st),
		Interactive:  st.IsTerminal && !sf.Quiet,
		AllowClock:   sf.AllowClock,
		ScriptPath:   p.scriptPath,
		ScriptSHA256: p.scriptSHA,
		Version:      st.Version,
		MaxSteps:     sf.EpisodeSteps,
		AllowWrite:   absPaths(st, sf.AllowWrite),
		Root:         p.root,
		Resume:       sf.Resume,
	}
}

// newHost returns the host for one run and the Env its threads share.
func newHost(st *State, sf *ScriptFlags, p hostParams) (*interp.Host, *builtins.Env) {
	cfg, env := hostConfig(st, sf, p)
	h := interp.New(cfg)
	env.Protected = h.Files
	return h, env
}

// absPaths resolves --allow-write directories against the working directory.
func absPaths(st *State, dirs []string) []string {
	var out []string
	for _, d := range dirs {
		if a, err := absPath(st, d); err == nil {
			out = append(out, a)
		}
	}
	return out
}
