package main

import (
	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/pkg"
	"github.com/dafscript/dafscript/runtime/serve"
	"github.com/dafscript/dafscript/runtime/sweepop"
	"github.com/dafscript/dafscript/runtime/train"
)

// The program's wiring, in one place: every command of the CLI, and the
// parts that packages add to shared tables. Nothing registers itself from
// an import: a new command or capability is added here.
//
// The daf builtins are listed in builtins/module.go (builtins.Table), the
// scripted policy classes in sim/policy, the report sections in
// runtime/report.

// commandTable is every sub-command of dafscript.
var commandTable = []func() *Command{
	runCmd,
	replCmd,
	testCmd,
	evalCmd,
	compareCmd,
	trainCmd,
	sweepCmd,
	validateCmd,
	pipelineCmd,
	planCmd,
	workerCmd,
	cacheCmd,
	analyzeCmd,
	packageCmd,
	deployCmd,
	rollbackCmd,
	registryCmd,
	serveCmd,
	playCmd,
	missionsCmd,
	checkCmd,
	sessionsCmd,
	showCmd,
	reportCmd,
	helpCmd,
	versionCmd,
}

var commands = map[string]*Command{}

func init() {
	for _, c := range commandTable {
		register(*c())
	}
	// The neural policy classes (lstm, stateless) and the training
	// backend's environment probe. Registering loads no libtorch.
	train.Register()
	// The policy classes of deployment: "package" (a .dafpkg file) and
	// "remote" (a policy served by dafscript serve).
	pkg.Register()
	serve.Register()
	// The jobs a worker (or a run through NATS) runs: batches of
	// episodes, and sweep trials.
	eval.RegisterJobs()
	sweepop.RegisterJobs()
}
