package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/dafscript/dafscript/interp"
)

func replCmd() *Command {
	return &Command{
		Name:    "repl",
		Usage:   "dafscript repl [flags]",
		Summary: "interactive Starlark session with the daf module",
		Help: `Repl reads Starlark statements and runs them. An expression's value is
printed and kept in _. An incomplete statement (an open bracket, a def, an
if) continues on the next line; an empty line ends a block.

On a terminal: line editing, history (kept in the user cache directory,
dafscript/history), Tab completes globals and members (daf.<Tab>).
Ctrl-C cancels the running statement and keeps the session; Ctrl-D exits.
help(x) prints the documentation of a builtin, help(daf) lists the module.
load() paths are relative to the current directory. The REPL is one run:
the operations it calls are the steps of one session, daf_output/runs/<id>/.`,
		Run: replCommand,
	}
}

func replCommand(st *State, args []string) int {
	c := commands["repl"]
	var sf ScriptFlags
	fs := newFlagSet(c)
	sf.Register(fs, st)
	pos, code, ok := parseFlags(st, c, fs, args)
	if !ok {
		return code
	}
	if err := sf.check(); err != nil {
		return usageError(st, c, "%v", err)
	}
	if len(pos) > 0 {
		return usageError(st, c, "takes no arguments (to run a script: dafscript run %s)", pos[0])
	}
	wd, err := st.Getwd()
	if err != nil {
		fmt.Fprintf(st.Stderr, "dafscript repl: %v\n", err)
		return ExitError
	}
	closeLog, err := sf.openLog(st)
	if err != nil {
		fmt.Fprintf(st.Stderr, "dafscript repl: %v\n", err)
		return ExitError
	}
	defer closeLog.Close()
	ctx, cancel := context.WithCancel(st.Ctx)
	defer cancel()
	host, env := newHost(st, &sf, hostParams{
		ctx:        ctx,
		root:       wd,
		workDir:    wd,
		scriptPath: "<stdin>",
	})
	rs := openRunSession(env, "")
	d := sf.distribution(st, ctx)
	d.session = rs.get
	defer d.close()

	var in interp.LineReader
	if st.StdinIsTerminal {
		history := ""
		if dir, err := st.UserCacheDir(); err == nil {
			history = filepath.Join(dir, "dafscript", "history")
		}
		stdin, ok := st.Stdin.(io.ReadCloser)
		if !ok {
			stdin = io.NopCloser(st.Stdin)
		}
		tr, err := interp.NewTerminalReader(stdin, st.Stdout, st.Stderr, history)
		if err != nil {
			fmt.Fprintf(st.Stderr, "dafscript repl: %v\n", err)
			return ExitError
		}
		defer tr.Close()
		in = tr
		fmt.Fprintf(st.Stdout, "%s; help() for help, Ctrl-D to exit\n", st.Version)
	} else {
		in = interp.NewPlainReader(st.Stdin)
	}
	err = host.REPL(ctx, in, interp.REPLOptions{
		Stderr:          st.Stderr,
		Interrupt:       st.Interrupt,
		BeforeStatement: func(ctx context.Context) { env.Ctx = ctx },
	})
	if ferr := rs.finish(ctx, err); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(st.Stderr, "dafscript repl: %v\n", err)
		return ExitError
	}
	return ExitOK
}
