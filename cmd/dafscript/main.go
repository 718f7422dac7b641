// Command dafscript runs Starlark experiments on the Cogs vs Clips
// gridworld: `dafscript experiment.star`, `dafscript repl`,
// `dafscript test scripts/`. See docs/cli.md.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/train"
)

// Exit codes, documented in docs/cli.md. Each is the code of an error
// kind of runtime/op, which is where they are defined: a command returns
// op.ExitCode(err) for its error and never picks a number itself.
var (
	ExitOK         = 0
	ExitError      = op.Failed.ExitCode()     // the script failed (syntax, runtime, load error)
	ExitUsage      = op.Usage.ExitCode()      // bad command line
	ExitRegression = op.Regression.ExitCode() // `dafscript test` found failures
	ExitUnhealthy  = op.Unhealthy.ExitCode()  // the environment check failed
	ExitCancelled  = op.Cancelled.ExitCode()
)

func main() {
	st, stop := OSState()
	code := Main(st, os.Args[1:])
	stop()
	os.Exit(code)
}

// Main runs the CLI with args (without the program name) and returns the
// exit code. No Go panic escapes it.
func Main(st *State, args []string) (code int) {
	st = st.withDefaults()
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(st.Stderr, "dafscript: internal error: %v\nThis is a bug in dafscript; please report it with the command and script that triggered it.\n", r)
			if st.Getenv("DAFSCRIPT_TRACEBACK") != "" {
				st.Stderr.Write(debug.Stack())
			}
			code = ExitError
		}
	}()
	if len(args) == 0 {
		printMainUsage(st)
		return ExitUsage
	}
	name := args[0]
	switch {
	case name == "-h" || name == "--help" || name == "-help":
		printMainUsageTo(st, true)
		return ExitOK
	case name == "--version" || name == "-version":
		name, args = "version", args[1:]
	case name == train.WorkerCommand:
		// A rank of a data-parallel training that train.Launch started
		// (not listed in help).
		return trainRank(st, args[1:])
	case strings.HasSuffix(name, ".star") || strings.HasPrefix(name, "-") || strings.HasPrefix(name, "@daf/") || (commands[name] == nil && isFile(st, name)):
		// `dafscript FILE.star` and `dafscript --seed 3 FILE.star` mean run.
		return commands["run"].Run(st, args)
	default:
		args = args[1:]
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(st.Stderr, "dafscript: unknown command %q%s\nRun 'dafscript help' for the list of commands.\n", name, didYouMean(name, commandNames()))
		return ExitUsage
	}
	return cmd.Run(st, args)
}

// isFile reports whether name is an existing file relative to the State's
// directory: `dafscript experiment` runs it like a .star file.
func isFile(st *State, name string) bool {
	p, err := absPath(st, name)
	if err != nil {
		return false
	}
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}
