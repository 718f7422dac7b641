package policy

import "github.com/dafscript/dafscript/sim/suggest"

func closest(name string, known []string) []string { return suggest.Closest(name, known, 3) }
