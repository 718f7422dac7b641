package main

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/dafscript/dafscript/builtins"
	"github.com/dafscript/dafscript/interp"
	"github.com/dafscript/dafscript/runtime/output"
)

func testCmd() *Command {
	return &Command{
		Name:    "test",
		Usage:   "dafscript test [flags] [PATHS...]",
		Summary: "run Starlark test suites (*_test.star)",
		Help: `Test finds the *_test.star files under PATHS (default: the current
directory; directories are searched recursively, skipping testdata) and runs
every function named test_* in a fresh thread, files in parallel. Results
are printed in file order; the last line reads "N passed, M failed".

Test files see two extra modules:
  assert   eq(got, want), ne(got, unwanted), true(cond), lt(a, b),
           contains(container, x), approx(got, want, tol), fails(fn, pattern)
           (each takes an optional msg= to prefix its failure message)
           better(a, b, missions=|suite=, episodes, alpha, seed),
           not_worse(a, b, margin, ...): statistical assertions on fixed
           seeds (docs/scripting.md)
  golden   check(name, value): compare value with testdata/NAME.golden next
           to the test file; -update writes it instead

A result's check("reward.mean > 0.5", "p95(steps) < 900") fails its test
when a threshold does not hold. -junit FILE carries every failure.

Exit status: 0 all passed, 3 some failed, 2 usage, 130 interrupted.`,
		Run: testCommand,
	}
}

func testCommand(st *State, args []string) int {
	c := commands["test"]
	var sf ScriptFlags
	fs := newFlagSet(c)
	sf.Register(fs, st)
	runPat := fs.String("run", "", "run only the test functions whose name matches `regexp`")
	update := fs.Bool("update", false, "rewrite golden files (testdata/NAME.golden) with the values the tests produce")
	junit := fs.String("junit", "", "also write the results as JUnit XML to `file`")
	pos, code, ok := parseFlags(st, c, fs, args)
	if !ok {
		return code
	}
	if err := sf.check(); err != nil {
		return usageError(st, c, "%v", err)
	}
	var re *regexp.Regexp
	if *runPat != "" {
		var err error
		if re, err = regexp.Compile(*runPat); err != nil {
			return usageError(st, c, "-run: %v", err)
		}
	}
	wd, err := st.Getwd()
	if err != nil {
		fmt.Fprintf(st.Stderr, "dafscript test: %v\n", err)
		return ExitError
	}
	if len(pos) == 0 {
		pos = []string{"."}
	}
	// Search relative to the State's directory, report names as given.
	var abs []string
	for _, p := range pos {
		a, _ := absPath(st, p)
		if strings.HasSuffix(p, "/...") {
			a += "/..."
		}
		abs = append(abs, a)
	}
	files, err := interp.FindTestFiles(abs)
	if err != nil {
		return usageError(st, c, "%v", err)
	}
	if len(files) == 0 {
		fmt.Fprintf(st.Stderr, "dafscript test: no *_test.star files in %s\n", strings.Join(pos, " "))
		return ExitUsage
	}
	ctx, cancel := scriptContext(st)
	defer cancel()
	defer sf.distribution(st, ctx).close()
	// Each file's run is one session (opened by its first operation).
	var runsMu sync.Mutex
	runs := map[string]*runSession{}
	names := map[string]string{}
	for _, f := range files {
		rel, err := filepath.Rel(wd, f)
		if err != nil || strings.HasPrefix(rel, "..") {
			rel = f
		}
		names[f] = rel
	}
	cfg := interp.TestConfig{
		Run:          re,
		Update:       *update,
		Jobs:         sf.Jobs,
		AssertExtras: builtins.AssertMembers(),
		HostConfig: func(file string) interp.Config {
			root := wd
			if rel, err := filepath.Rel(wd, file); err != nil || strings.HasPrefix(rel, "..") {
				root = filepath.Dir(file)
			}
			cfg, env := hostConfig(st, &sf, hostParams{ctx: ctx, root: root, workDir: wd, scriptPath: file})
			rs := openRunSession(env, "")
			runsMu.Lock()
			runs[file] = rs
			runsMu.Unlock()
			return cfg
		},
	}
	passed, failed := 0, 0
	var finishErr error
	results := interp.RunTests(ctx, files, cfg, func(r *interp.FileResult) {
		runsMu.Lock()
		rs := runs[r.File]
		runsMu.Unlock()
		if rs != nil {
			if err := rs.finish(ctx, testFileError(r)); err != nil && finishErr == nil {
				finishErr = err
			}
		}
		r.File = names[r.File]
		interp.WriteTestReport(st.Stdout, r, sf.Verbose)
		passed += r.Passed()
		failed += r.Failed()
	})
	if *junit != "" {
		var buf bytes.Buffer
		err := interp.WriteJUnit(&buf, results)
		if err == nil {
			path, _ := absPath(st, *junit)
			err = output.WriteFileAtomic(path, buf.Bytes(), 0o644)
		}
		if err != nil {
			fmt.Fprintf(st.Stderr, "dafscript test: -junit: %v\n", err)
			return ExitError
		}
	}
	if finishErr != nil {
		fmt.Fprintf(st.Stderr, "dafscript test: %v\n", finishErr)
		return ExitError
	}
	fmt.Fprintf(st.Stdout, "%d passed, %d failed\n", passed, failed)
	if ctx.Err() != nil {
		fmt.Fprintln(st.Stderr, "dafscript: interrupted")
		return ExitCancelled
	}
	if failed > 0 {
		return ExitRegression
	}
	return ExitOK
}

// testFileError is why a test file's run session failed: the file did not
// load, or some of its tests failed (nil when all passed).
func testFileError(r *interp.FileResult) error {
	if r.LoadErr != "" {
		return errors.New(r.LoadErr)
	}
	var names []string
	for _, t := range r.Tests {
		if t.Failed {
			names = append(names, t.Name)
		}
	}
	if len(names) > 0 {
		return fmt.Errorf("%d of %d tests failed: %s", len(names), len(r.Tests), strings.Join(names, ", "))
	}
	return nil
}
