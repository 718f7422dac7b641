package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// docExitCodes reads the exit-code table of docs/cli.md: code -> meaning.
func docExitCodes(t *testing.T) map[int]string {
	t.Helper()
	b, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n## Exit codes\n")
	if !ok {
		t.Fatal("docs/cli.md has no \"## Exit codes\" section")
	}
	row := regexp.MustCompile(`^\|\s*(\d+)\s*\|\s*(.+?)\s*\|$`)
	codes := map[int]string{}
	for _, line := range strings.Split(rest, "\n") {
		if strings.HasPrefix(line, "## ") {
			break
		}
		if m := row.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			codes[n] = m[2]
		}
	}
	if len(codes) == 0 {
		t.Fatal("no rows in the exit-code table of docs/cli.md")
	}
	return codes
}

// TestDocumentedExitCodes runs, in-process, commands that must end with
// each exit code docs/cli.md lists, and checks that the table lists
// every code the cases produce.
func TestDocumentedExitCodes(t *testing.T) {
	files := map[string]string{
		"ok.star":             "print(1)\n",
		"fail.star":           "fail(\"boom\")\n",
		"syntax.star":         "x = (\n",
		"deep.star":           "json.decode(\"[\" * 100000)\n",
		"loop.star":           "while True:\n    pass\n",
		"tests/bad_test.star": "def test_bad():\n    assert.eq(1, 2)\n",
	}
	type exitCase struct {
		args     []string
		cancel   bool // run with the root context already cancelled (Ctrl-C)
		contains string
	}
	cases := map[int][]exitCase{
		0: {{args: []string{"version"}}, {args: []string{"ok.star"}}, {args: []string{"analyze", "--grid=false", "training_facility_1"}}},
		1: {{args: []string{"fail.star"}, contains: "boom"}, {args: []string{"syntax.star"}}, {args: []string{"deep.star"}, contains: "nesting deeper"},
			{args: []string{"play", "-m", "training_facility_1", "-p", "lstm:$DIR/ok.star", "--steps", "1", "--render", "none"}, contains: "ok.star: is a file, but a checkpoint is a folder"}},
		2: {{args: []string{"nosuchcommand"}}, {args: []string{"run", "--nosuchflag", "ok.star"}}, {args: []string{"missing.star"}},
			{args: []string{"analyze", "nosuch_mission"}, contains: "nosuch_mission"}},
		3:   {{args: []string{"test", "tests"}}},
		4:   {{args: []string{"check", "--missions", "traning_facility_1"}}},
		130: {{args: []string{"loop.star"}, cancel: true, contains: "interrupted"}},
	}
	documented := docExitCodes(t)
	for code := range cases {
		if _, ok := documented[code]; !ok {
			t.Errorf("exit code %d is produced but not listed in docs/cli.md", code)
		}
	}
	var listed []int
	for code := range documented {
		listed = append(listed, code)
	}
	sort.Ints(listed)
	for _, code := range listed {
		if len(cases[code]) == 0 {
			t.Errorf("docs/cli.md lists exit code %d (%s) but no case here produces it", code, documented[code])
			continue
		}
		for _, c := range cases[code] {
			t.Run(strconv.Itoa(code)+"/"+strings.Join(c.args, "_"), func(t *testing.T) {
				dir := t.TempDir()
				for name, src := range files {
					p := filepath.Join(dir, name)
					os.MkdirAll(filepath.Dir(p), 0o755)
					if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				st, out, errs := testState(dir)
				st.UserCacheDir = func() (string, error) { return filepath.Join(dir, "cache"), nil }
				if c.cancel {
					ctx, cancel := context.WithCancel(context.Background())
					cancel()
					st.Ctx = ctx
				}
				args := make([]string, len(c.args))
				for i, a := range c.args {
					args[i] = strings.ReplaceAll(a, "$DIR", dir)
				}
				got := Main(st, args)
				if got != code {
					t.Fatalf("dafscript %s: exit code %d, want %d (%s)\nstdout:\n%s\nstderr:\n%s", strings.Join(c.args, " "), got, code, documented[code], out, errs)
				}
				if c.contains != "" && !strings.Contains(errs.String(), c.contains) {
					t.Fatalf("stderr lacks %q:\n%s", c.contains, errs)
				}
			})
		}
	}
}
