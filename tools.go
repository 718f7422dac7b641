//go:build tools

// This file pins the project's dependencies while their packages are being
// written; it is never compiled.
package tools

import (
	_ "github.com/chzyer/readline"
	_ "github.com/creack/pty"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/mattn/go-isatty"
	_ "github.com/olekukonko/tablewriter"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/schollz/progressbar/v3"
	_ "go.starlark.net/starlark"
	_ "golang.org/x/term"
	_ "gonum.org/v1/gonum/stat/distuv"
	_ "gonum.org/v1/plot"
	_ "gopkg.in/yaml.v3"
)
