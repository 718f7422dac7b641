package mission

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated parts of docs/missions.md")

const docsPath = "../../docs/missions.md"

// The catalog and variant tables of docs/missions.md are generated from
// the code; this test keeps them in step (go test -update rewrites them).
func TestDocsTables(t *testing.T) {
	src, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src)
	for _, part := range []struct{ name, body string }{
		{"catalog", catalogTable()},
		{"variants", variantTable()},
	} {
		begin, end := "<!-- "+part.name+":begin -->\n", "<!-- "+part.name+":end -->"
		i, j := strings.Index(doc, begin), strings.Index(doc, end)
		if i < 0 || j < i {
			t.Fatalf("%s lacks the %q ... %q markers", docsPath, begin, end)
		}
		if got := doc[i+len(begin) : j]; got != part.body {
			if !*update {
				t.Errorf("%s: the %s table is out of date (go test ./sim/mission -run Docs -update rewrites it)", docsPath, part.name)
			}
			doc = doc[:i+len(begin)] + part.body + doc[j:]
		}
	}
	if *update && doc != string(src) {
		if err := os.WriteFile(docsPath, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func catalogTable() string {
	var sb strings.Builder
	sb.WriteString("| mission | map | grid | cogs (most) | max steps | variants |\n|---|---|---|---|---|---|\n")
	for _, m := range Catalog() {
		v := strings.Join(m.Variants, ", ")
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(&sb, "| `%s` | %s | %dx%d | %d (%d) | %d | %s |\n", m.Name, m.Map, m.Width, m.Height, m.NumAgents, m.MaxAgents, m.MaxSteps, v)
	}
	return sb.String()
}

func variantTable() string {
	var sb strings.Builder
	sb.WriteString("| variant | what it changes |\n|---|---|\n")
	for _, n := range VariantNames() {
		fmt.Fprintf(&sb, "| `%s` | %s |\n", n, VariantDoc(n))
	}
	return sb.String()
}
