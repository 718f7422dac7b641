package main

import (
	"github.com/dafscript/dafscript/interp"
)

// newHost returns the Starlark host for one run, with the daf module.
func newHost(st *State, sf *ScriptFlags, p hostParams) *interp.Host {
	return interp.New(interp.Config{
		Root:       p.root,
		MaxSteps:   sf.MaxSteps,
		AllowClock: sf.AllowClock,
		Stdout:     st.Stdout,
		WorkDir:    p.workDir,
	})
}
