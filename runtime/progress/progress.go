// Package progress shows progress bars with a count, a rate and an ETA
// while long work runs on a terminal, and nothing at all otherwise (a
// pipe, a file, CI), so that redirected output stays clean.
package progress

import (
	"io"
	"os"
	"reflect"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Bar is one progress bar. A nil *Bar is valid and does nothing, so
// callers need not check whether progress is shown.
type Bar struct {
	pb *progressbar.ProgressBar
	w  io.Writer
}

// New returns a bar for total units of work (total <= 0: unknown, a
// spinner with a count and rate), labelled label, drawn on w. It returns
// nil when enabled is false; pass true only when w is a terminal.
func New(w io.Writer, enabled bool, total int64, label string) *Bar {
	if !enabled || w == nil {
		return nil
	}
	if total <= 0 {
		total = -1
	}
	b := &Bar{w: w}
	defer setActive(w, b)
	b.pb = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionSetWidth(24),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("it"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
		// No background spinner goroutine: it keeps drawing after Exit.
		// The bar redraws on Add instead.
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionOnCompletion(func() { io.WriteString(w, "\n") }),
	)
	return b
}

// Units sets the name of one unit of work in the rate ("episodes/s").
// Call it right after New, before the work starts.
func (b *Bar) Units(name string) *Bar {
	if b == nil {
		return nil
	}
	progressbar.OptionSetItsString(name)(b.pb)
	b.pb.RenderBlank()
	return b
}

// Add records n more units done.
func (b *Bar) Add(n int64) {
	if b == nil {
		return
	}
	b.pb.Add64(n)
}

// Describe changes the label.
func (b *Bar) Describe(s string) {
	if b == nil {
		return
	}
	b.pb.Describe(s)
}

// Finish fills the bar and ends its line.
func (b *Bar) Finish() {
	if b == nil {
		return
	}
	b.pb.Finish()
	clearActive(b)
}

// Stop ends the bar where it is (the work was cancelled or failed),
// leaving the partial bar on its own line.
func (b *Bar) Stop() {
	if b == nil || b.pb.IsFinished() {
		return
	}
	// Draw the last state even inside the throttle interval; no Add may
	// run concurrently with Stop.
	progressbar.OptionThrottle(0)(b.pb)
	b.pb.Add64(0)
	b.pb.Exit()
	clearActive(b)
}

// IsTerminal reports whether w is a terminal, the one case where bars are
// drawn.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// active holds the bar being drawn on each writer, so that LineWriter
// can keep other output off the bar's line.
var (
	activeMu sync.Mutex
	active   = map[io.Writer]*Bar{}
)

func setActive(w io.Writer, b *Bar) {
	if !reflect.TypeOf(w).Comparable() {
		return
	}
	activeMu.Lock()
	active[w] = b
	activeMu.Unlock()
}

func clearActive(b *Bar) {
	if !reflect.TypeOf(b.w).Comparable() {
		return
	}
	activeMu.Lock()
	if active[b.w] == b {
		delete(active, b.w)
	}
	activeMu.Unlock()
}

// LineWriter returns a writer to w for whole lines (log records) that
// first erases the line of a bar being drawn on w, so that a log line
// never lands in the middle of a bar; the bar redraws on its next update.
func LineWriter(w io.Writer) io.Writer { return lineWriter{w} }

type lineWriter struct{ w io.Writer }

func (lw lineWriter) Write(p []byte) (int, error) {
	busy := false
	if reflect.TypeOf(lw.w).Comparable() {
		activeMu.Lock()
		_, busy = active[lw.w]
		activeMu.Unlock()
	}
	if busy {
		// Carriage return and "erase line": the bar is only drawn on
		// terminals, which understand it.
		if _, err := io.WriteString(lw.w, "\r\x1b[K"); err != nil {
			return 0, err
		}
	}
	return lw.w.Write(p)
}
