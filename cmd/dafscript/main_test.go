package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dafscript/dafscript/runtime/train/torch"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script/*.txtar")

// TestScripts runs the CLI transcripts in testdata/script. The dafscript
// command runs in-process through a State; `exitcode N` checks the exit
// code of the last dafscript command; `feed FILE` makes FILE the standard
// input of the next one.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		// [torch]: this test binary has the libtorch backend (cgo); the
		// environment check is healthy only then.
		Condition: func(cond string) (bool, error) {
			if cond == "torch" {
				return torch.Available, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"dafscript": cmdDafscript,
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: exitcode N")
				}
				if got := ts.Getenv("EXITCODE"); (got == args[0]) == neg {
					ts.Fatalf("exit code %s, want %s%s", got, map[bool]string{true: "not ", false: ""}[neg], args[0])
				}
			},
			"mkpkg":    cmdMkpkg,
			"corrupt":  cmdCorrupt,
			"holdport": cmdHoldport,
			"feed": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: feed FILE")
				}
				ts.Setenv("FEED", ts.MkAbs(args[0]))
			},
		},
	})
}

func cmdDafscript(ts *testscript.TestScript, neg bool, args []string) {
	var stdin []byte
	if f := ts.Getenv("FEED"); f != "" {
		stdin = []byte(ts.ReadFile(f))
		ts.Setenv("FEED", "")
	}
	st := &State{
		Stdin:        bytes.NewReader(stdin),
		Stdout:       ts.Stdout(),
		Stderr:       ts.Stderr(),
		Getwd:        func() (string, error) { return ts.MkAbs("."), nil },
		Getenv:       ts.Getenv,
		Ctx:          context.Background(),
		NumCPU:       4,
		UserCacheDir: func() (string, error) { return ts.MkAbs("cache"), nil },
		Version:      "dafscript test-version",
	}
	code := Main(st, args)
	ts.Setenv("EXITCODE", strconv.Itoa(code))
	if neg && code == 0 {
		ts.Fatalf("dafscript succeeded, want a failure")
	}
	if !neg && code != 0 {
		ts.Fatalf("dafscript failed with exit code %d", code)
	}
}

// testState returns a State for in-process runs in dir.
func testState(dir string) (*State, *bytes.Buffer, *bytes.Buffer) {
	var out, errs bytes.Buffer
	return &State{
		Stdout: &out,
		Stderr: &errs,
		Getwd:  func() (string, error) { return dir, nil },
		Ctx:    context.Background(),
		NumCPU: 2,
		// The result cache and history of in-process runs stay out of
		// the user's cache folder.
		UserCacheDir: func() (string, error) { return testCacheDir, nil },
	}, &out, &errs
}

// testCacheDir is the user cache folder of testState, one per test
// process.
var testCacheDir = func() string {
	d, err := os.MkdirTemp("", "dafscript-test-cache")
	if err != nil {
		panic(err)
	}
	binDirs = append(binDirs, d) // removed by TestMain
	return d
}()

func TestInterruptStopsScript(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "loop.star"), []byte("while True:\n    pass\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _, errs := testState(dir)
	sig := make(chan os.Signal, 1)
	st.Interrupt = sig
	done := make(chan int)
	go func() { done <- Main(st, []string{"loop.star"}) }()
	time.Sleep(50 * time.Millisecond)
	sig <- os.Interrupt
	select {
	case code := <-done:
		if code != ExitCancelled {
			t.Fatalf("exit code %d, want %d; stderr:\n%s", code, ExitCancelled, errs)
		}
		if !strings.Contains(errs.String(), "interrupted") {
			t.Fatalf("stderr %q", errs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the script did not stop on interrupt")
	}
}

type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("disk on fire") }

func TestPanicBecomesInternalError(t *testing.T) {
	st, _, errs := testState(t.TempDir())
	st.Stdout = panicWriter{}
	if code := Main(st, []string{"version"}); code != ExitError {
		t.Fatalf("exit code %d, want %d", code, ExitError)
	}
	if !strings.Contains(errs.String(), "internal error: disk on fire") {
		t.Fatalf("stderr %q", errs)
	}
}

func TestVersionString(t *testing.T) {
	v := versionString()
	if !strings.HasPrefix(v, "dafscript ") || !strings.Contains(v, runtime.Version()) {
		t.Fatalf("version %q", v)
	}
}

func TestParseFlagsInterleaved(t *testing.T) {
	tests := []struct {
		args []string
		pos  string
		seed uint64
	}{
		{[]string{"x.star", "--seed", "3"}, "x.star", 3},
		{[]string{"--seed=4", "x.star"}, "x.star", 4},
		{[]string{"--seed", "5", "--", "-odd.star"}, "-odd.star", 5},
	}
	for _, tc := range tests {
		st, _, _ := testState(t.TempDir())
		c := commands["run"]
		var sf ScriptFlags
		fs := newFlagSet(c)
		sf.Register(fs, st)
		pos, _, ok := parseFlags(st, c, fs, tc.args)
		if !ok || strings.Join(pos, " ") != tc.pos || sf.Seed != tc.seed {
			t.Errorf("%q: got %q seed %d ok %v; want %q seed %d", tc.args, pos, sf.Seed, ok, tc.pos, tc.seed)
		}
	}
}

// TestInterruptStopsEpisodes interrupts a script while daf builtins are
// playing episodes: the work must stop promptly and the exit code be 130.
func TestInterruptStopsEpisodes(t *testing.T) {
	dir := t.TempDir()
	src := `for seed in range(100000):
    daf.episode("training_facility_1", "baseline", seed = seed)
`
	if err := os.WriteFile(filepath.Join(dir, "long.star"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _, errs := testState(dir)
	sig := make(chan os.Signal, 1)
	st.Interrupt = sig
	done := make(chan int)
	go func() { done <- Main(st, []string{"run", "--out", filepath.Join(dir, "out"), "long.star"}) }()
	time.Sleep(300 * time.Millisecond)
	sig <- os.Interrupt
	select {
	case code := <-done:
		if code != ExitCancelled {
			t.Fatalf("exit code %d, want %d; stderr:\n%s", code, ExitCancelled, errs)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the episodes did not stop on interrupt")
	}
}

// TestRunWritesJSONLog: a run keeps every record it logs, as JSON lines,
// in <out>/logs/daf_<session>.log, whatever the terminal level.
func TestRunWritesJSONLog(t *testing.T) {
	dir := t.TempDir()
	src := `daf.evaluate(policies=["noop"], missions=["training_facility_1"], episodes=1, max_steps=20)` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "eval.star"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _, errs := testState(dir)
	if code := Main(st, []string{"-q", "eval.star"}); code != ExitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, errs)
	}
	if strings.Contains(errs.String(), "evaluation written") {
		t.Errorf("-q still printed an info line: %q", errs)
	}
	logs, err := filepath.Glob(filepath.Join(dir, "daf_output", "logs", "daf_*.log"))
	if err != nil || len(logs) != 1 {
		t.Fatalf("log files %v (%v), want one", logs, err)
	}
	data, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		found = found || rec["msg"] == "evaluation written"
	}
	if !found {
		t.Fatalf("the log has no \"evaluation written\" record:\n%s", data)
	}
}

// cmdMkpkg writes a package by hand: `mkpkg OUT.dafpkg MANIFEST
// [NAME=FILE...]` makes a gzip-compressed tar of MANIFEST as
// manifest.json followed by the files given, so that a transcript can
// hold a package no dafscript would write (a newer format, an unknown
// class, a file whose hash does not match).
func cmdMkpkg(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: mkpkg OUT.dafpkg MANIFEST [NAME=FILE...]")
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	add := func(name string, data []byte) {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), Format: tar.FormatUSTAR}
		ts.Check(tw.WriteHeader(hdr))
		_, err := tw.Write(data)
		ts.Check(err)
	}
	add("manifest.json", []byte(ts.ReadFile(args[1])))
	for _, a := range args[2:] {
		name, file, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("mkpkg: %q: want NAME=FILE", a)
		}
		add(name, []byte(ts.ReadFile(file)))
	}
	ts.Check(tw.Close())
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), buf.Bytes(), 0o644))
}

// cmdCorrupt damages a file: `corrupt FILE truncate` keeps its first half,
// `corrupt FILE flip` inverts its middle byte. FILE may be a pattern that
// names one file (a cache entry, whose name is a hash).
func cmdCorrupt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: corrupt FILE truncate|flip")
	}
	path := ts.MkAbs(args[0])
	if m, err := filepath.Glob(path); err == nil && len(m) == 1 {
		path = m[0]
	} else if len(m) > 1 {
		ts.Fatalf("corrupt: %s names %d files, want one", args[0], len(m))
	}
	b, err := os.ReadFile(path)
	ts.Check(err)
	switch args[1] {
	case "truncate":
		b = b[:len(b)/2]
	case "flip":
		b[len(b)/2] ^= 0xff
	default:
		ts.Fatalf("corrupt: %q: want truncate or flip", args[1])
	}
	ts.Check(os.WriteFile(path, b, 0o644))
}

// cmdHoldport listens on a free loopback port until the transcript ends
// and sets $PORT to it.
func cmdHoldport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: holdport")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Defer(func() { ln.Close() })
	ts.Setenv("PORT", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
}
