package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docBlock is a fenced code block of a doc page marked to be executed:
// "```starlark run" (a script, run with dafscript run) or "```starlark
// test" (a test file, run with dafscript test).
type docBlock struct {
	line int
	mode string // "run" or "test"
	src  string
}

func docBlocks(text string) []docBlock {
	var out []docBlock
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		info := strings.TrimSpace(strings.TrimPrefix(lines[i], "```"))
		if !strings.HasPrefix(lines[i], "```") || (info != "starlark run" && info != "starlark test") {
			continue
		}
		b := docBlock{line: i + 1, mode: strings.TrimPrefix(info, "starlark ")}
		var src []string
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			src = append(src, lines[i])
		}
		b.src = strings.Join(src, "\n") + "\n"
		out = append(out, b)
	}
	return out
}

// TestDocExamples runs every executable example of the pages that
// describe pipelines, benchmark suites, statistical assertions and
// thresholds: each must succeed.
func TestDocExamples(t *testing.T) {
	root := repoRoot(t)
	for _, page := range []string{"pipelines.md", "scripting.md"} {
		data, err := os.ReadFile(filepath.Join(root, "docs", page))
		if err != nil {
			t.Fatal(err)
		}
		blocks := docBlocks(string(data))
		if len(blocks) == 0 {
			t.Errorf("docs/%s has no executable examples (```starlark run or ```starlark test)", page)
		}
		for _, b := range blocks {
			t.Run(fmt.Sprintf("%s:%d", page, b.line), func(t *testing.T) {
				dir := t.TempDir()
				name := "example.star"
				if b.mode == "test" {
					name = "example_test.star"
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte(b.src), 0o644); err != nil {
					t.Fatal(err)
				}
				st, out, errs := testState(dir)
				if code := Main(st, []string{b.mode, "-q", "--jobs", "1", "--out", filepath.Join(dir, "out"), name}); code != ExitOK {
					t.Errorf("docs/%s:%d: dafscript %s: exit code %d\n%s%s", page, b.line, b.mode, code, out, errs)
				}
			})
		}
	}
}
