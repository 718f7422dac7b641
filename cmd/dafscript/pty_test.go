package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// A built binary of this package, per build environment.
type builtBin struct {
	once sync.Once
	path string
	err  error
}

var (
	binMu   sync.Mutex
	bins    = map[string]*builtBin{}
	binDirs []string
)

// builtBinary builds dafscript once per test process.
func builtBinary(tb testing.TB) string { return builtBinaryEnv(tb) }

// builtBinaryEnv builds dafscript with extra environment variables (such
// as CGO_ENABLED=0) once per test process and variant.
func builtBinaryEnv(tb testing.TB, env ...string) string {
	tb.Helper()
	key := strings.Join(env, " ")
	binMu.Lock()
	b := bins[key]
	if b == nil {
		b = new(builtBin)
		bins[key] = b
	}
	binMu.Unlock()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "dafscript-bin")
		if err != nil {
			b.err = err
			return
		}
		binMu.Lock()
		binDirs = append(binDirs, dir)
		binMu.Unlock()
		b.path = filepath.Join(dir, "dafscript")
		cmd := exec.Command("go", "build", "-o", b.path, ".")
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range binDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// term is a process on a pseudo-terminal whose output is collected.
type term struct {
	t    *testing.T
	f    *os.File
	mu   sync.Mutex
	buf  bytes.Buffer
	mark int // output before mark has been matched already
}

func (tm *term) read() {
	b := make([]byte, 4096)
	for {
		n, err := tm.f.Read(b)
		tm.mu.Lock()
		tm.buf.Write(b[:n])
		tm.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (tm *term) send(s string) {
	tm.t.Helper()
	if _, err := tm.f.WriteString(s); err != nil {
		tm.t.Fatal(err)
	}
}

// expect waits until the output after the last match matches re.
func (tm *term) expect(re string) {
	tm.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		tm.mu.Lock()
		out := tm.buf.String()
		tm.mu.Unlock()
		if loc := rx.FindStringIndex(out[tm.mark:]); loc != nil {
			tm.mark += loc[1]
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	tm.t.Fatalf("no match for %q in terminal output after:\n%q", re, tm.buf.String()[tm.mark:])
}

// TestREPLTerminal drives `dafscript repl` through a real pseudo-terminal:
// evaluation, multi-line input, tab completion, load(), help(), Ctrl-C on
// a running statement and at the prompt, history and Ctrl-D.
func TestREPLTerminal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no pseudo-terminals")
	}
	bin := builtBinary(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lib.star"), []byte("def triple(x):\n    return 3 * x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	cmd := exec.Command(bin, "repl")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+cache, "HOME="+dir, "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer f.Close()
	tm := &term{t: t, f: f}
	go tm.read()
	defer func() {
		if t.Failed() {
			cmd.Process.Kill()
		}
	}()

	tm.expect(`help\(\) for help, Ctrl-D to exit`)
	tm.expect(`>>> `)
	tm.send("1 + 2\r")
	tm.expect(`\r\n3\r\n`)

	// Multi-line: a def continues until an empty line.
	tm.send("def f(x):\r")
	tm.expect(`\.\.\. `)
	tm.send("    return x * 5\r")
	tm.expect(`\.\.\. `)
	tm.send("\r")
	tm.expect(`>>> `)
	tm.send("f(7)\r")
	tm.expect(`\r\n35\r\n`)

	// Tab completion of a global and of a daf member.
	tm.send("zebra_count = 11\r")
	tm.expect(`>>> `)
	tm.send("zebra_c\t")
	tm.expect(`zebra_count`)
	tm.send("\r")
	tm.expect(`\r\n11\r\n`)
	tm.send("daf.epis\t")
	tm.expect(`daf\.episode`)
	tm.send("\r")
	tm.expect(`<built-in function daf\.episode>`)

	// load() relative to the current directory, and help().
	tm.send("load('lib.star', 'triple')\r")
	tm.expect(`>>> `)
	tm.send("triple(14)\r")
	tm.expect(`\r\n42\r\n`)
	tm.send("help(daf.episode)\r")
	tm.expect(`daf\.episode\(mission, policy, seed=None, max_steps=None\)`)

	// Ctrl-C cancels a running statement; the session and its globals stay.
	tm.send("ticks = []\r")
	tm.expect(`>>> `)
	tm.send("def spin():\r")
	tm.expect(`\.\.\. `)
	tm.send("    print('spinning')\r")
	tm.expect(`\.\.\. `)
	tm.send("    while True:\r")
	tm.expect(`\.\.\. `)
	tm.send("        ticks.append(1)\r")
	tm.expect(`\.\.\. `)
	tm.send("\r")
	tm.expect(`>>> `)
	tm.send("spin()\r")
	tm.expect(`spinning`)
	time.Sleep(100 * time.Millisecond)
	tm.send("\x03")
	tm.expect(`interrupted`)
	tm.expect(`>>> `)
	tm.send("len(ticks) > 0 and zebra_count == 11\r")
	tm.expect(`\r\nTrue\r\n`)

	// Ctrl-C at the prompt drops the line.
	tm.send("this is not run\x03")
	tm.expect(`\^C`)
	tm.send("2 * 21\r")
	tm.expect(`\r\n42\r\n`)

	// Ctrl-D ends the session with status 0.
	tm.send("\x04")
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("repl exited with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("repl did not exit on Ctrl-D")
	}
	hist, err := os.ReadFile(filepath.Join(cache, "dafscript", "history"))
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	for _, line := range []string{"1 + 2", "f(7)", "triple(14)"} {
		if !strings.Contains(string(hist), line+"\n") {
			t.Errorf("history lacks %q:\n%s", line, hist)
		}
	}
}
