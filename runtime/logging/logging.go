// Package logging builds the run's logger: readable lines on the terminal
// at the level -v/-q select, and every record (Info and above, Debug too
// under -v) as JSON lines in daf_output/logs/daf_<session>.log.
package logging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/progress"
)

// Levels that -v and -q select.
const (
	LevelVerbose = slog.LevelDebug // -v
	LevelNormal  = slog.LevelInfo
	LevelQuiet   = slog.LevelWarn // -q
)

// Level maps the -v and -q flags to a level.
func Level(verbose, quiet bool) slog.Level {
	switch {
	case verbose:
		return LevelVerbose
	case quiet:
		return LevelQuiet
	}
	return LevelNormal
}

// ForRun is New for one run of dafscript: it reserves
// <outRoot>/logs/daf_<session>.log (session: the run's start time, see
// runtime/output) and returns the logger, its closer and the log's path.
func ForRun(stderr io.Writer, level slog.Level, outRoot string) (*slog.Logger, io.Closer, string, error) {
	path, _, err := output.NewManager(outRoot).NewLogPath()
	if err != nil {
		return nil, nil, "", err
	}
	log, closer, err := New(stderr, level, path)
	if err != nil {
		return nil, nil, "", err
	}
	return log, closer, path, nil
}

// New returns a logger writing readable lines at level and above to
// stderr and, when jsonPath is not empty, JSON lines to jsonPath (created,
// or appended to; the folder is created). Close the returned Closer at the
// end of the run to flush the file.
func New(stderr io.Writer, level slog.Level, jsonPath string) (*slog.Logger, io.Closer, error) {
	handlers := []slog.Handler{NewTextHandler(progress.LineWriter(stderr), level)}
	closer := io.Closer(nopCloser{})
	if jsonPath != "" {
		if err := os.MkdirAll(filepath.Dir(jsonPath), 0o755); err != nil {
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		f, err := os.OpenFile(jsonPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		sf := &syncCloser{f: f}
		handlers = append(handlers, slog.NewJSONHandler(sf, &slog.HandlerOptions{Level: min(level, slog.LevelInfo)}))
		closer = sf
	}
	return slog.New(Fanout(handlers...)), closer, nil
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// syncCloser is the log file: Close flushes it to disk, but only when
// something was written, so that a run that logs nothing does not wait
// for the disk.
type syncCloser struct {
	f       *os.File
	written atomic.Bool
}

func (c *syncCloser) Write(p []byte) (int, error) {
	c.written.Store(true)
	return c.f.Write(p)
}

func (c *syncCloser) Close() error {
	if !c.written.Load() {
		return c.f.Close()
	}
	return errors.Join(c.f.Sync(), c.f.Close())
}

// Fanout returns a handler that passes each record to every handler that
// is enabled for its level.
func Fanout(hs ...slog.Handler) slog.Handler { return fanout(hs) }

type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	return slices.ContainsFunc(f, func(h slog.Handler) bool { return h.Enabled(ctx, l) })
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (f fanout) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}

// TextHandler writes one readable line per record:
//
//	14:25:01 INFO  compare: done policies=3 episodes=30
//
// Debug lines are shown only under -v; warnings and errors are marked.
type TextHandler struct {
	mu     *sync.Mutex
	w      io.Writer
	level  slog.Leveler
	prefix string // preformatted attributes from WithAttrs
	group  string // dotted group prefix for keys
	// Now is the clock of the time column; nil means the record's time.
	Now func() time.Time
}

// NewTextHandler returns a TextHandler writing to w at level and above.
func NewTextHandler(w io.Writer, level slog.Leveler) *TextHandler {
	return &TextHandler{mu: &sync.Mutex{}, w: w, level: level}
}

func (h *TextHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *TextHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	t := r.Time
	if h.Now != nil {
		t = h.Now()
	}
	if !t.IsZero() {
		b.WriteString(t.Format("15:04:05 "))
	}
	b.WriteString(levelLabel(r.Level))
	b.WriteByte(' ')
	b.WriteString(r.Message)
	b.WriteString(h.prefix)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.group, a)
		return true
	})
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *TextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	for _, a := range as {
		appendAttr(&b, h.group, a)
	}
	h2 := *h
	h2.prefix += b.String()
	return &h2
}

func (h *TextHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.group += name + "."
	return &h2
}

func levelLabel(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARN "
	case l >= slog.LevelInfo:
		return "INFO "
	default:
		return "DEBUG"
	}
}

func appendAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		g := group
		if a.Key != "" {
			g += a.Key + "."
		}
		for _, ga := range a.Value.Group() {
			appendAttr(b, g, ga)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(group)
	b.WriteString(a.Key)
	b.WriteByte('=')
	b.WriteString(quote(a.Value.String()))
}

// quote leaves plain words bare and quotes the rest, as slog's text format does.
func quote(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if unicode.IsSpace(r) || r == '"' || r == '=' || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
