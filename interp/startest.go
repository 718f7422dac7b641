package interp

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// TestConfig configures RunTests.
type TestConfig struct {
	// Run selects the test functions whose name matches (nil: all).
	Run *regexp.Regexp
	// Update rewrites golden files instead of comparing with them.
	Update bool
	// Jobs is the number of files run at once.
	Jobs int
	// HostConfig returns the host configuration for one test file
	// (absolute path); RunTests adds the assert and golden modules and
	// captures print().
	HostConfig func(file string) Config
	// AssertExtras are members the embedding program adds to the assert
	// module (statistical assertions, say). They report a failed check
	// by returning an error that is a Failure.
	AssertExtras starlark.StringDict
}

// Failure is implemented by errors that report a failed check rather
// than a broken script: the test runner shows the failure's position and
// message as it does a failed assert.* call, without a backtrace.
// Builtins outside interp (the embedding program's assertions,
// thresholds on results) return such errors.
type Failure interface {
	error
	Failure() (pos syntax.Position, msg string)
}

// TestResult is the outcome of one test_* function.
type TestResult struct {
	Name     string
	Failed   bool
	Message  string // the failure: position, message, diff or backtrace
	Output   string // what the test printed
	Duration time.Duration
}

// FileResult is the outcome of one *_test.star file.
type FileResult struct {
	File     string // as given (relative to the working directory)
	Tests    []TestResult
	LoadErr  string // the file itself failed to run; counts as a failure
	Output   string // printed while loading the file
	Duration time.Duration
}

// Passed and Failed count tests; a file that fails to load counts as one
// failure.
func (r *FileResult) Passed() (n int) {
	for _, t := range r.Tests {
		if !t.Failed {
			n++
		}
	}
	return n
}

func (r *FileResult) Failed() (n int) {
	if r.LoadErr != "" {
		n++
	}
	for _, t := range r.Tests {
		if t.Failed {
			n++
		}
	}
	return n
}

// FindTestFiles returns the *_test.star files named by paths (files, or
// directories searched recursively; a trailing "/..." is accepted), sorted
// and without duplicates. Directories named testdata or starting with "."
// are skipped.
func FindTestFiles(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	for _, p := range paths {
		p = strings.TrimSuffix(p, "/...")
		if p == "" {
			p = "."
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: no such file or directory", p)
		}
		if !info.IsDir() {
			if !strings.HasSuffix(p, "_test.star") {
				return nil, fmt.Errorf("%s: not a test file (test files end in _test.star)", p)
			}
			add(filepath.Clean(p))
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), "_test.star") {
				add(filepath.Clean(path))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	return files, nil
}

// RunTests runs the files, Jobs at a time, and calls report with each
// file's result in the order of files (not of completion), so the output
// is the same from run to run.
func RunTests(ctx context.Context, files []string, cfg TestConfig, report func(*FileResult)) []*FileResult {
	jobs := max(cfg.Jobs, 1)
	results := make([]*FileResult, len(files))
	done := make([]chan struct{}, len(files))
	for i := range done {
		done[i] = make(chan struct{})
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, max(len(files), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = runTestFile(ctx, files[i], cfg)
				close(done[i])
			}
		}()
	}
	go func() {
		for i := range files {
			work <- i
		}
		close(work)
	}()
	for i := range files {
		<-done[i]
		if report != nil {
			report(results[i])
		}
	}
	wg.Wait()
	return results
}

func runTestFile(ctx context.Context, file string, cfg TestConfig) (res *FileResult) {
	start := time.Now()
	res = &FileResult{File: file}
	defer func() {
		if r := recover(); r != nil {
			res.LoadErr = (&InternalError{Where: file, Value: r, Stack: stack()}).Error()
		}
		res.Duration = time.Since(start)
	}()
	abs, err := filepath.Abs(file)
	if err != nil {
		res.LoadErr = err.Error()
		return res
	}
	var hc Config
	if cfg.HostConfig != nil {
		hc = cfg.HostConfig(abs)
	}
	var out bytes.Buffer
	hc.Stdout = &out
	pre := starlark.StringDict{}
	for k, v := range hc.Predeclared {
		pre[k] = v
	}
	pre["assert"] = AssertModule(cfg.AssertExtras)
	pre["golden"] = goldenModule(filepath.Dir(abs), hc.WorkDir, cfg.Update)
	hc.Predeclared = pre
	h := New(hc)

	globals, err := h.ExecFile(ctx, abs)
	res.Output = out.String()
	if err != nil {
		res.LoadErr = h.FormatError(err)
		return res
	}
	type test struct {
		name string
		fn   *starlark.Function
	}
	var tests []test
	for name, v := range globals {
		fn, ok := v.(*starlark.Function)
		if !ok || !strings.HasPrefix(name, "test_") {
			continue
		}
		if cfg.Run != nil && !cfg.Run.MatchString(name) {
			continue
		}
		tests = append(tests, test{name, fn})
	}
	// In the order they are defined.
	sort.Slice(tests, func(i, j int) bool {
		pi, pj := tests[i].fn.Position(), tests[j].fn.Position()
		if pi.Line != pj.Line {
			return pi.Line < pj.Line
		}
		return tests[i].name < tests[j].name
	})
	for _, tc := range tests {
		res.Tests = append(res.Tests, runOneTest(ctx, h, abs, tc.name, tc.fn))
		if ctx.Err() != nil {
			break
		}
	}
	return res
}

func runOneTest(ctx context.Context, h *Host, file, name string, fn *starlark.Function) (r TestResult) {
	start := time.Now()
	r.Name = name
	var out bytes.Buffer
	t, stop := h.NewThread(ctx, name, file)
	defer stop()
	t.Print = func(_ *starlark.Thread, msg string) { fmt.Fprintln(&out, msg) }
	defer func() {
		if p := recover(); p != nil {
			r.Failed = true
			r.Message = (&InternalError{Where: name, Value: p, Stack: stack()}).Error()
		}
		r.Output = out.String()
		r.Duration = time.Since(start)
	}()
	if fn.NumParams() > 0 {
		r.Failed = true
		r.Message = fmt.Sprintf("%s: %s takes parameters; test functions take none", fn.Position(), name)
		return r
	}
	_, err := starlark.Call(t, fn, nil, nil)
	if err != nil {
		r.Failed = true
		var ae *AssertionError
		var f Failure
		switch {
		case errors.As(err, &ae):
			r.Message = ae.Error()
		case errors.As(err, &f):
			pos, msg := f.Failure()
			r.Message = (&AssertionError{Pos: pos, Msg: msg}).Error()
		default:
			r.Message = strings.TrimRight(h.FormatError(err), "\n")
		}
	}
	return r
}

// WriteTestReport prints one file's results: failures in full (with what
// the test printed), passes only when verbose.
func WriteTestReport(w io.Writer, r *FileResult, verbose bool) {
	if r.LoadErr != "" {
		fmt.Fprintf(w, "--- FAIL: %s (the file did not load)\n%s", r.File, indent(r.LoadErr))
		if r.Output != "" {
			fmt.Fprintf(w, "    output:\n%s", indent(indent(r.Output)))
		}
	}
	for _, t := range r.Tests {
		switch {
		case t.Failed:
			fmt.Fprintf(w, "--- FAIL: %s: %s\n%s", r.File, t.Name, indent(t.Message))
			if t.Output != "" {
				fmt.Fprintf(w, "    output:\n%s", indent(indent(t.Output)))
			}
		case verbose:
			fmt.Fprintf(w, "--- PASS: %s: %s\n", r.File, t.Name)
			if t.Output != "" {
				fmt.Fprint(w, indent(t.Output))
			}
		}
	}
	status := "ok  "
	if r.Failed() > 0 {
		status = "FAIL"
	}
	fmt.Fprintf(w, "%s %s: %d passed, %d failed\n", status, r.File, r.Passed(), r.Failed())
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n"
}

// WriteJUnit writes results as JUnit XML (one testsuite per file).
func WriteJUnit(w io.Writer, results []*FileResult) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Time      string   `xml:"time,attr"`
		Failure   *failure `xml:"failure,omitempty"`
		SystemOut string   `xml:"system-out,omitempty"`
	}
	type testsuite struct {
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Time     string     `xml:"time,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	type testsuites struct {
		XMLName  xml.Name    `xml:"testsuites"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Suites   []testsuite `xml:"testsuite"`
	}
	secs := func(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
	firstLine := func(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }
	var all testsuites
	for _, r := range results {
		s := testsuite{Name: r.File, Time: secs(r.Duration)}
		if r.LoadErr != "" {
			s.Cases = append(s.Cases, testcase{Name: "<load>", Classname: r.File, Time: "0.000",
				Failure: &failure{Message: firstLine(r.LoadErr), Text: r.LoadErr}, SystemOut: r.Output})
		}
		for _, t := range r.Tests {
			c := testcase{Name: t.Name, Classname: r.File, Time: secs(t.Duration), SystemOut: t.Output}
			if t.Failed {
				c.Failure = &failure{Message: firstLine(t.Message), Text: t.Message}
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		s.Failures = r.Failed()
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Suites = append(all.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
