package interp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"github.com/chzyer/readline"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// A LineReader supplies the REPL's input one line at a time. Readline
// returns io.EOF at the end (Ctrl-D) and readline.ErrInterrupt when Ctrl-C
// is pressed while reading.
type LineReader interface {
	Readline() (string, error)
	SetPrompt(prompt string)
	Close() error
}

// REPLOptions configures Host.REPL.
type REPLOptions struct {
	Stderr io.Writer // errors; results go to the host's Stdout
	// Interrupt delivers Ctrl-C while a statement runs: the statement is
	// cancelled and the session goes on.
	Interrupt <-chan os.Signal
	// BeforeStatement, if set, is told the context of each statement
	// (so that the daf Env sees it).
	BeforeStatement func(ctx context.Context)
}

// REPL reads statements from in and runs them until in reports io.EOF or
// ctx is done. An expression's value is printed (and kept in _); a
// statement that is not complete yet (an open bracket, a def) continues
// on the next line, as in go.starlark.net/repl.
func (h *Host) REPL(ctx context.Context, in LineReader, opts REPLOptions) error {
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	wd := h.cfg.WorkDir
	if wd == "" {
		wd, _ = os.Getwd()
	}
	if h.cfg.Root == "" {
		h.cfg.Root = wd
	}
	thread, stop := h.NewThread(context.Background(), "repl", filepath.Join(wd, "<stdin>"))
	defer stop()
	// In the REPL the predeclared names are ordinary globals.
	globals := starlark.StringDict{}
	for k, v := range h.predeclared {
		globals[k] = v
	}
	if c, ok := in.(interface{ setCompleter(*Completer) }); ok {
		c.setCompleter(&Completer{Globals: globals, Predeclared: h.predeclared})
	}
	for ctx.Err() == nil {
		err := h.rep(ctx, thread, globals, in, opts)
		if err == io.EOF {
			return nil
		}
		if err != nil && !errors.Is(err, readline.ErrInterrupt) {
			return err
		}
	}
	return nil
}

func (h *Host) rep(ctx context.Context, thread *starlark.Thread, globals starlark.StringDict, in LineReader, opts REPLOptions) (err error) {
	stmtCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	interrupted := make(chan struct{})
	if opts.Interrupt != nil {
		go func() {
			select {
			case <-opts.Interrupt:
				thread.Cancel("interrupted")
				cancel()
				close(interrupted)
			case <-stmtCtx.Done():
			}
		}()
	}
	thread.Uncancel()
	thread.SetLocal("context", stmtCtx)
	if opts.BeforeStatement != nil {
		opts.BeforeStatement(stmtCtx)
	}

	var chunk strings.Builder
	in.SetPrompt(">>> ")
	readErr := error(nil)
	read := func() ([]byte, error) {
		line, err := in.Readline()
		in.SetPrompt("... ")
		if err != nil {
			readErr = err
			return nil, err
		}
		chunk.WriteString(line + "\n")
		return []byte(line + "\n"), nil
	}
	opts2 := *FileOptions()
	opts2.LoadBindsGlobally = true
	f, err := opts2.ParseCompoundStmt("<stdin>", read)
	if readErr != nil {
		return readErr
	}
	h.remember("<stdin>", []byte(chunk.String()))
	if err != nil {
		fmt.Fprint(opts.Stderr, h.FormatError(err))
		return nil
	}

	defer func() {
		if r := recover(); r != nil {
			fmt.Fprint(opts.Stderr, h.FormatError(&InternalError{Where: "the statement", Value: r, Stack: stack()}))
			err = nil
		}
	}()
	var runErr error
	if expr := soleExpr(f); expr != nil {
		var v starlark.Value
		v, runErr = starlark.EvalExprOptions(f.Options, thread, expr, globals)
		if runErr == nil {
			globals["_"] = v
			if v != starlark.None {
				fmt.Fprintln(h.cfg.Stdout, v)
			}
		}
	} else {
		runErr = starlark.ExecREPLChunk(f, thread, globals)
	}
	if runErr != nil {
		select {
		case <-interrupted:
			fmt.Fprintln(opts.Stderr, "interrupted")
		default:
			fmt.Fprint(opts.Stderr, h.FormatError(runErr))
		}
	}
	return nil
}

func soleExpr(f *syntax.File) syntax.Expr {
	if len(f.Stmts) == 1 {
		if stmt, ok := f.Stmts[0].(*syntax.ExprStmt); ok {
			return stmt.X
		}
	}
	return nil
}

// Completer completes global names and the members of a value
// ("daf.ep" -> "daf.episode") for readline.
type Completer struct {
	Globals, Predeclared starlark.StringDict
}

// Do implements readline.AutoCompleter: it returns the possible suffixes
// of the word before pos and the length of that word's last part.
func (c *Completer) Do(line []rune, pos int) ([][]rune, int) {
	start := pos
	for start > 0 && (isIdentRune(line[start-1]) || line[start-1] == '.') {
		start--
	}
	word := string(line[start:pos])
	var names []string
	prefix := word
	if i := strings.LastIndexByte(word, '.'); i >= 0 {
		prefix = word[i+1:]
		v := c.lookup(word[:i])
		if v == nil {
			return nil, 0
		}
		if ha, ok := v.(starlark.HasAttrs); ok {
			names = ha.AttrNames()
		}
	} else {
		for k := range c.Globals {
			names = append(names, k)
		}
		for k := range c.Predeclared {
			names = append(names, k)
		}
		for k := range starlark.Universe {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var out [][]rune
	for i, n := range names {
		if i > 0 && names[i-1] == n {
			continue
		}
		if strings.HasPrefix(n, prefix) && !strings.HasPrefix(n, "_") {
			out = append(out, []rune(n[len(prefix):]))
		}
	}
	return out, len([]rune(prefix))
}

func (c *Completer) lookup(dotted string) starlark.Value {
	parts := strings.Split(dotted, ".")
	v, ok := c.Globals[parts[0]]
	if !ok {
		if v, ok = c.Predeclared[parts[0]]; !ok {
			if v, ok = starlark.Universe[parts[0]]; !ok {
				return nil
			}
		}
	}
	for _, p := range parts[1:] {
		ha, ok := v.(starlark.HasAttrs)
		if !ok {
			return nil
		}
		next, err := ha.Attr(p)
		if err != nil || next == nil {
			return nil
		}
		v = next
	}
	return v
}

func isIdentRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// TerminalReader is the REPL's LineReader on a terminal: line editing,
// history and tab completion (chzyer/readline).
type TerminalReader struct {
	rl   *readline.Instance
	comp *Completer
}

// NewTerminalReader returns a line editor on stdin/stdout keeping its
// history in historyFile (no history when empty).
func NewTerminalReader(stdin io.ReadCloser, stdout, stderr io.Writer, historyFile string) (*TerminalReader, error) {
	tr := &TerminalReader{}
	if historyFile != "" {
		if err := os.MkdirAll(filepath.Dir(historyFile), 0o755); err != nil {
			historyFile = ""
		}
	}
	rl, err := readline.NewEx(&readline.Config{
		Prompt:          ">>> ",
		HistoryFile:     historyFile,
		AutoComplete:    readline.AutoCompleter(completerFunc(tr.do)),
		InterruptPrompt: "^C",
		EOFPrompt:       "",
		Stdin:           stdin,
		Stdout:          stdout,
		Stderr:          stderr,
	})
	if err != nil {
		return nil, err
	}
	tr.rl = rl
	return tr, nil
}

type completerFunc func(line []rune, pos int) ([][]rune, int)

func (f completerFunc) Do(line []rune, pos int) ([][]rune, int) { return f(line, pos) }

func (t *TerminalReader) do(line []rune, pos int) ([][]rune, int) {
	if t.comp == nil {
		return nil, 0
	}
	return t.comp.Do(line, pos)
}

func (t *TerminalReader) setCompleter(c *Completer) { t.comp = c }

func (t *TerminalReader) Readline() (string, error) { return t.rl.Readline() }
func (t *TerminalReader) SetPrompt(p string)        { t.rl.SetPrompt(p) }
func (t *TerminalReader) Close() error              { return t.rl.Close() }

// PlainReader is the REPL's LineReader when input is not a terminal (a
// pipe, a file): no prompts, no editing.
type PlainReader struct {
	s    *bufio.Scanner
	done bool // the blank line that ends a block open at end of input was sent
}

// NewPlainReader reads lines from r.
func NewPlainReader(r io.Reader) *PlainReader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64*1024), 16<<20)
	return &PlainReader{s: s}
}

func (p *PlainReader) Readline() (string, error) {
	if p.s.Scan() {
		return p.s.Text(), nil
	}
	if err := p.s.Err(); err != nil {
		return "", err
	}
	if !p.done {
		// End a block still open at the end of input, so that it runs.
		p.done = true
		return "", nil
	}
	return "", io.EOF
}
func (p *PlainReader) SetPrompt(string) {}
func (p *PlainReader) Close() error     { return nil }
