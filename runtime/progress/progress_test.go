package progress

import (
	"bytes"
	"github.com/creack/pty"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestDisabledWritesNothing(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, false, 10, "episodes")
	if b != nil {
		t.Fatal("disabled bar is not nil")
	}
	// Every method is safe on the nil bar.
	b.Units("episodes").Add(3)
	b.Describe("x")
	b.Stop()
	b.Finish()
	if buf.Len() != 0 {
		t.Errorf("disabled bar wrote %q", buf.String())
	}
}

// Rendered frames are separated by carriage returns; the last one counts.
func lastFrame(s string) string {
	frames := strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' })
	for i := len(frames) - 1; i >= 0; i-- {
		if strings.TrimSpace(frames[i]) != "" {
			return frames[i]
		}
	}
	return ""
}

func TestBar(t *testing.T) {
	tests := []struct {
		name  string
		total int64
		add   []int64
		stop  bool
		want  []*regexp.Regexp
	}{
		{"known total", 10, []int64{3, 4, 3}, false, []*regexp.Regexp{
			regexp.MustCompile(`compare`), regexp.MustCompile(`100%`), regexp.MustCompile(`\(10/10, [0-9.]+ episodes/(s|min|hr)\)`)}},
		{"stopped midway shows ETA", 10, []int64{4}, true, []*regexp.Regexp{
			regexp.MustCompile(`40%`), regexp.MustCompile(`\(4/10, [0-9.]+ episodes/(s|min|hr)\) \[[0-9a-z]+:[0-9a-z]+\]`)}},
		{"unknown total", 0, []int64{5, 2}, true, []*regexp.Regexp{
			regexp.MustCompile(`compare`), regexp.MustCompile(`\(7/-, [0-9.]+ episodes/(s|min|hr)\)`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			b := New(&buf, true, tc.total, "compare").Units("episodes")
			for _, n := range tc.add {
				b.Add(n)
			}
			if tc.stop {
				b.Stop()
			} else {
				b.Finish()
			}
			out := buf.String()
			if !strings.HasSuffix(out, "\n") {
				t.Errorf("bar did not end its line: %q", out)
			}
			frame := lastFrame(out)
			for _, re := range tc.want {
				if !re.MatchString(frame) {
					t.Errorf("last frame %q does not match %s", frame, re)
				}
			}
		})
	}
}

func TestIsTerminal(t *testing.T) {
	if IsTerminal(&bytes.Buffer{}) {
		t.Error("buffer is a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("regular file is a terminal")
	}
}

func TestLineWriter(t *testing.T) {
	var buf bytes.Buffer
	lw := LineWriter(&buf)
	lw.Write([]byte("before\n"))
	b := New(&buf, true, 10, "work")
	b.Add(2)
	buf.Reset()
	lw.Write([]byte("log line\n"))
	if got := buf.String(); got != "\r\x1b[Klog line\n" {
		t.Errorf("with a bar: %q", got)
	}
	b.Finish()
	buf.Reset()
	lw.Write([]byte("after\n"))
	if got := buf.String(); got != "after\n" {
		t.Errorf("after the bar: %q", got)
	}
	// No bar on a disabled writer, and no erasing.
	var other bytes.Buffer
	New(&other, false, 10, "x").Add(1)
	LineWriter(&other).Write([]byte("x\n"))
	if other.String() != "x\n" {
		t.Errorf("disabled: %q", other.String())
	}
}

func TestIsTerminalOnPty(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	if !IsTerminal(tty) {
		t.Error("a pty is not a terminal")
	}
}
