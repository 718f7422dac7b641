package main

import (
	"strings"
)

// validateCmd checks without running: YAML configs, or a deployment
// package through the validation gate. What it does follows from the
// files named: a .dafpkg is a package, anything else a config.
func validateCmd() *Command {
	configs, gate := configValidateCmd(), gateValidateCmd()
	c := &Command{
		Name:    "validate",
		Usage:   configs.Usage + "\n       " + gate.Usage,
		Summary: "check YAML configs, or run the validation gate on a package",
		Help: "Configs: " + configs.Help + "\n\nPackages (a FILE ending in .dafpkg): " + gate.Help +
			"\n\nThe flags below are the package gate's; configs take none.",
	}
	c.Run = func(st *State, args []string) int {
		for _, a := range args {
			if a == "-h" || a == "-help" || a == "--help" {
				fs := newFlagSet(c)
				var g gateFlags
				g.define(fs, st)
				printUsage(st.Stdout, c, fs)
				return ExitOK
			}
		}
		for _, a := range args {
			if strings.HasSuffix(a, ".dafpkg") {
				return gate.Run(st, args)
			}
		}
		return configs.Run(st, args)
	}
	return c
}
