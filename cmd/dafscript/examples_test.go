package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dafscript/dafscript/builtins"
	"github.com/google/go-cmp/cmp"
)

// repoRoot is the module root, two levels above this package.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		tb.Fatal(err)
	}
	return root
}

// TestExamplesDeterministic runs every example in scripts/ twice, with
// one job and then with several, and requires the same output: results
// may depend only on seeds, never on scheduling.
func TestExamplesDeterministic(t *testing.T) {
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "scripts", "*.star"))
	if err != nil {
		t.Fatal(err)
	}
	var examples []string
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.star") {
			examples = append(examples, f)
		}
	}
	if len(examples) < 3 {
		t.Fatalf("want at least 3 examples in scripts/, found %d", len(examples))
	}
	for _, ex := range examples {
		rel, _ := filepath.Rel(root, ex)
		t.Run(filepath.Base(ex), func(t *testing.T) {
			t.Parallel()
			var outs []string
			for _, jobs := range []string{"1", "3"} {
				st, out, errs := testState(root)
				// --no-cache: the second run plays its episodes too.
				args := append([]string{"run", "--jobs", jobs, "--out", t.TempDir(), "-q", "--no-cache"}, exampleArgs(t, ex)...)
				code := Main(st, append(args, rel))
				if code != ExitOK {
					t.Fatalf("%s --jobs %s: exit code %d\n%s", rel, jobs, code, errs)
				}
				outs = append(outs, out.String())
			}
			if outs[0] == "" {
				t.Fatalf("%s printed nothing", rel)
			}
			if d := cmp.Diff(outs[0], outs[1]); d != "" {
				t.Fatalf("%s: output differs between runs (-jobs 1 +jobs 3):\n%s", rel, d)
			}
		})
	}
}

// exampleArgs returns the flags an example asks to be tested with, on a
// line "# test with: FLAGS" (a long experiment runs a small budget).
func exampleArgs(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(l, "# test with:"); ok {
			return strings.Fields(rest)
		}
	}
	return nil
}

// TestStarlarkSuites runs `dafscript test scripts/` (the regression suites
// and any other *_test.star) in-process: all must pass.
func TestStarlarkSuites(t *testing.T) {
	root := repoRoot(t)
	st, out, errs := testState(root)
	if code := Main(st, []string{"test", "scripts"}); code != ExitOK {
		t.Fatalf("dafscript test scripts: exit code %d\n%s\n%s", code, out, errs)
	}
}

// BenchmarkStartupEmptyScript measures the wall time of `dafscript
// empty.star` as a user sees it (exec of the built binary), reporting the
// median in ms. Variants: the binary `make build` makes, which embeds the
// training backend and must not load it (libtorch's loading and static
// initialisers cost most of a second); a CGO_ENABLED=0 build, which has no
// backend at all; and /bin/true, the cost of any process start.
func BenchmarkStartupEmptyScript(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "empty.star"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, name string, args ...string) {
		var ms []float64
		for b.Loop() {
			cmd := exec.Command(name, args...)
			cmd.Dir = dir
			start := time.Now()
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%s: %v\n%s", name, err, out)
			}
			ms = append(ms, float64(time.Since(start).Microseconds())/1000)
		}
		sort.Float64s(ms)
		b.ReportMetric(ms[len(ms)/2], "median-ms")
	}
	b.Run("dafscript", func(b *testing.B) { run(b, madeBinary(b), "empty.star") })
	b.Run("dafscript_nocgo", func(b *testing.B) { run(b, builtBinaryEnv(b, "CGO_ENABLED=0"), "empty.star") })
	b.Run("baseline_true", func(b *testing.B) { run(b, "/bin/true") })
}

// madeBinary builds dafscript with `make build` (the training backend
// first, then the binary that embeds it) into a temporary directory.
func madeBinary(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "dafscript")
	cmd := exec.Command("make", "-s", "-C", repoRoot(b), "build", "BIN="+bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("make build: %v\n%s", err, out)
	}
	return bin
}

// TestCLIDocCoversCommands keeps docs/cli.md in step with the registry:
// every command has a section.
func TestCLIDocCoversCommands(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range commandNames() {
		if !strings.Contains(string(doc), "\n### dafscript "+name+"\n") {
			t.Errorf("docs/cli.md has no section \"### dafscript %s\"", name)
		}
	}
	for _, code := range []string{"| 0 |", "| 1 |", "| 2 |", "| 3 |", "| 4 |", "| 130 |"} {
		if !strings.Contains(string(doc), code) {
			t.Errorf("docs/cli.md does not document exit code %s", code)
		}
	}
}

// TestBuiltinDocsHaveExamples: every builtin's documentation (what help()
// prints and docs/scripting.md reproduces) shows an example call.
func TestBuiltinDocsHaveExamples(t *testing.T) {
	for n, d := range builtins.Docs() {
		_, rest, _ := strings.Cut(d, "\n")
		if n != "daf.vars" && !strings.Contains(rest, n+"(") {
			t.Errorf("the documentation of %s shows no example call of it", n)
		}
	}
}

// TestScriptingDocBuiltins keeps the builtin reference at the end of
// docs/scripting.md in step with builtins.Docs() (-update rewrites it).
func TestScriptingDocBuiltins(t *testing.T) {
	path := filepath.Join(repoRoot(t), "docs", "scripting.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const start, end = "<!-- builtins:start -->\n", "<!-- builtins:end -->"
	doc := string(data)
	i, j := strings.Index(doc, start), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the %q ... %q markers", path, start, end)
	}
	docs := builtins.Docs()
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		sig, rest, _ := strings.Cut(docs[n], "\n")
		fmt.Fprintf(&b, "\n### %s\n\n```\n%s\n```\n", n, sig)
		if rest = strings.TrimSpace(rest); rest != "" {
			fmt.Fprintf(&b, "\n```\n%s\n```\n", rest)
		}
	}
	b.WriteString("\n")
	want := doc[:i+len(start)] + b.String() + doc[j:]
	if *update {
		if want != doc {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	// The reference must name every builtin with its current signature; a
	// change of wording alone need not fail the build.
	if headings(want) == headings(doc) {
		return
	}
	t.Errorf("the builtin reference in docs/scripting.md is out of date; run: go test ./cmd/dafscript -run TestScriptingDoc -update\n%s",
		cmp.Diff(headings(doc), headings(want)))
}

// headings returns the builtin names and signature lines of the reference.
func headings(doc string) string {
	var b strings.Builder
	lines := strings.Split(doc, "\n")
	for k, l := range lines {
		if strings.HasPrefix(l, "### daf.") {
			b.WriteString(l + "\n")
			if k+3 < len(lines) {
				b.WriteString(lines[k+3] + "\n")
			}
		}
	}
	return b.String()
}
