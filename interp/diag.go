package interp

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

func stack() string { return string(debug.Stack()) }

// FormatError renders err for a person: a syntax or resolve error as
// "file:line:col: message" with the source line and a caret under the
// column; a runtime error with its Starlark backtrace and the failing
// line. Errors from a loaded file are shown where they occurred.
func (h *Host) FormatError(err error) string {
	var b strings.Builder
	var serr syntax.Error
	var rerrs resolve.ErrorList
	var eerr *starlark.EvalError
	switch {
	case errors.As(err, &serr):
		h.snippet(&b, serr.Pos, serr.Msg)
	case errors.As(err, &rerrs):
		for _, e := range rerrs {
			h.snippet(&b, e.Pos, e.Msg)
		}
	case errors.As(err, &eerr):
		// The innermost EvalError is where the failure happened; outer
		// ones are load statements that led to it.
		inner := eerr
		for {
			var next *starlark.EvalError
			if !errors.As(inner.Unwrap(), &next) {
				break
			}
			inner = next
		}
		b.WriteString(inner.Backtrace())
		b.WriteString("\n")
		// Show the innermost line of Starlark source (a builtin's frame
		// has none).
		for i := len(inner.CallStack) - 1; i >= 0; i-- {
			pos := inner.CallStack[i].Pos
			if line, ok := h.line(pos); ok {
				writeLine(&b, pos, line)
				break
			}
		}
		if inner != eerr {
			b.WriteString("loaded from:\n")
			for _, fr := range eerr.CallStack {
				fmt.Fprintf(&b, "  %s: in %s\n", fr.Pos, fr.Name)
			}
		}
	default:
		var ie *InternalError
		if errors.As(err, &ie) {
			fmt.Fprintf(&b, "%v\n", ie)
			break
		}
		fmt.Fprintf(&b, "error: %v\n", err)
	}
	return b.String()
}

func (h *Host) snippet(b *strings.Builder, pos syntax.Position, msg string) {
	fmt.Fprintf(b, "%s: %s\n", pos, msg)
	if line, ok := h.line(pos); ok {
		writeLine(b, pos, line)
	}
}

func writeLine(b *strings.Builder, pos syntax.Position, line string) {
	num := fmt.Sprint(pos.Line)
	fmt.Fprintf(b, "  %s | %s\n", num, line)
	if pos.Col < 1 {
		return
	}
	// Copy tabs so the caret lines up under the column.
	var pad strings.Builder
	i := 0
	for _, r := range line {
		if i >= int(pos.Col)-1 {
			break
		}
		if r == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
		i++
	}
	fmt.Fprintf(b, "  %s | %s^\n", strings.Repeat(" ", len(num)), pad.String())
}

func (h *Host) line(pos syntax.Position) (string, bool) {
	src, ok := h.Source(pos.Filename())
	if !ok || pos.Line < 1 {
		return "", false
	}
	lines := strings.Split(string(src), "\n")
	if int(pos.Line) > len(lines) {
		return "", false
	}
	return strings.TrimRight(lines[pos.Line-1], "\r"), true
}

// Cancelled reports whether err is a cancellation (Ctrl-C) rather than a
// failure of the script.
func Cancelled(err error) bool {
	var eerr *starlark.EvalError
	if errors.As(err, &eerr) {
		return strings.Contains(eerr.Msg, "Starlark computation cancelled: interrupted")
	}
	return false
}
