package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
)

// A Command is one sub-command of dafscript. Each lives in its own file
// (cmd/dafscript/<name>.go); wiring.go lists them all.
type Command struct {
	Name    string // "run"
	Usage   string // "dafscript run [flags] FILE.star"
	Summary string // one line for `dafscript help`
	// Help is the long description `dafscript help NAME` prints between
	// the usage line and the flags.
	Help string
	// Run executes the command with the arguments after its name and
	// returns the exit code. On -h or --help it prints its usage to
	// st.Stdout and returns ExitOK (parseFlags does this).
	Run func(st *State, args []string) int
}

// register adds c to the CLI; wiring.go calls it for every command.
func register(c Command) {
	if c.Name == "" || c.Run == nil {
		panic("dafscript: register: a command needs a Name and a Run function")
	}
	if _, dup := commands[c.Name]; dup {
		panic("dafscript: register: duplicate command " + c.Name)
	}
	commands[c.Name] = &c
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// newFlagSet returns a flag set for c whose errors and usage go through
// parseFlags.
func newFlagSet(c *Command) *flag.FlagSet {
	fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args with fs. Flags may come before or after the
// positional arguments ("dafscript run x.star --seed 3"); "--" ends the
// flags. ok is false when the caller should return code at once: after -h
// (usage on stdout, ExitOK) or a bad flag (message and usage on stderr,
// ExitUsage).
func parseFlags(st *State, c *Command, fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			printUsage(st.Stdout, c, fs)
			return nil, ExitOK, false
		}
		if err != nil {
			fmt.Fprintf(st.Stderr, "dafscript %s: %v\n", c.Name, err)
			printUsage(st.Stderr, c, fs)
			return nil, ExitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, ExitOK, true
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), ExitOK, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError prints a usage problem of c and returns ExitUsage.
func usageError(st *State, c *Command, format string, a ...any) int {
	fmt.Fprintf(st.Stderr, "dafscript %s: %s\n", c.Name, fmt.Sprintf(format, a...))
	fmt.Fprintf(st.Stderr, "usage: %s\nRun 'dafscript help %s' for details.\n", c.Usage, c.Name)
	return ExitUsage
}

func printUsage(w io.Writer, c *Command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: %s\n", c.Usage)
	if c.Help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(c.Help, "\n"))
	}
	if fs == nil {
		return
	}
	var flags strings.Builder
	fs.SetOutput(&flags)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	if flags.Len() > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s", flags.String())
	}
}

func printMainUsage(st *State) { printMainUsageTo(st, false) }

func printMainUsageTo(st *State, toStdout bool) {
	w := st.Stderr
	if toStdout {
		w = st.Stdout
	}
	fmt.Fprint(w, `dafscript runs Starlark experiments on the Cogs vs Clips gridworld.

Usage:
  dafscript [flags] FILE.star      run a script (same as: dafscript run)
  dafscript COMMAND [arguments]

Commands:
`)
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].Summary)
	}
	fmt.Fprint(w, `
Run 'dafscript help COMMAND' for a command's flags. The manual is docs/cli.md
and docs/scripting.md.
`)
}

func helpCmd() *Command {
	return &Command{
		Name:    "help",
		Usage:   "dafscript help [COMMAND]",
		Summary: "show help for dafscript or one command",
		Run: func(st *State, args []string) int {
			if len(args) == 0 {
				printMainUsageTo(st, true)
				return ExitOK
			}
			if len(args) > 1 {
				return usageError(st, commands["help"], "expected one command name, got %d arguments", len(args))
			}
			c, ok := commands[args[0]]
			if !ok {
				fmt.Fprintf(st.Stderr, "dafscript help: unknown command %q%s\n", args[0], didYouMean(args[0], commandNames()))
				return ExitUsage
			}
			return c.Run(st, []string{"-h"})
		},
	}
}

func versionCmd() *Command {
	return &Command{
		Name:    "version",
		Usage:   "dafscript version",
		Summary: "print the dafscript version",
		Run: func(st *State, args []string) int {
			c := commands["version"]
			if _, code, ok := parseFlags(st, c, newFlagSet(c), args); !ok {
				return code
			} else if len(args) > 0 {
				return usageError(st, c, "takes no arguments")
			}
			fmt.Fprintln(st.Stdout, st.Version)
			return ExitOK
		},
	}
}

// version is set at link time: -ldflags "-X main.version=v1.2.3".
var version = ""

func versionString() string {
	v := version
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = s.Value[:12]
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if rev != "" {
		v += " " + rev
	}
	return fmt.Sprintf("dafscript %s (%s %s/%s)", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// didYouMean suggests the closest of candidates to name, as
// " (did you mean X?)", or "".
func didYouMean(name string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
