package report

import (
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/benchmark"
)

func TestBenchmarkReport(t *testing.T) {
	ev := fixtureEvaluation()
	b := benchmark.Build("standard", &ev)
	if k, ok := KindOf(b); !ok || k != "benchmark" {
		t.Fatalf("KindOf(benchmark) = %q, %v", k, ok)
	}
	html, err := HTML(b, "test")
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	for _, want := range []string{`id="leaderboard"`, "Suite <b>standard</b>", `id="evaluation-table"`, "Benchmark standard:"} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	md, err := Markdown(b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md, "**Leaderboard** — suite standard") || !strings.Contains(md, "| 1 | "+b.Leaderboard[0].Policy+" |") {
		t.Errorf("markdown:\n%s", md)
	}
}
