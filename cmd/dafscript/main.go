// Command dafscript runs Starlark experiments on the Cogs vs Clips
// gridworld: `dafscript experiment.star`, `dafscript repl`,
// `dafscript test scripts/`. See docs/cli.md.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"
)

// Exit codes, documented in docs/cli.md.
const (
	ExitOK         = 0
	ExitError      = 1 // the script failed (syntax, runtime, load error)
	ExitUsage      = 2 // bad command line
	ExitRegression = 3 // `dafscript test` found failures
	ExitUnhealthy  = 4 // the environment check failed
	ExitCancelled  = 130
)

// ExitCoder is implemented by errors that map to an exit code other than
// ExitError (an unhealthy environment: ExitUnhealthy). The CLI finds it
// through Starlark's error wrapping with errors.As.
type ExitCoder interface {
	error
	ExitCode() int
}

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
