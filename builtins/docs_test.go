package builtins

import (
	"os"
	"strings"
	"testing"
)

// TestReferenceDocumentsEveryBuiltin keeps docs/builtins.md complete: one
// section per builtin, headed "## `daf.NAME`", whose signature block is
// the first line of the builtin's own doc.
func TestReferenceDocumentsEveryBuiltin(t *testing.T) {
	data, err := os.ReadFile("../docs/builtins.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	docs := Docs()
	for _, n := range append(Names(), "vars") {
		if strings.HasPrefix(n, "test_") {
			continue // registered by this package's tests
		}
		head := "\n## `daf." + n + "`\n"
		i := strings.Index(doc, head)
		if i < 0 {
			t.Errorf("docs/builtins.md has no section %q", strings.TrimSpace(head))
			continue
		}
		if n == "vars" {
			continue
		}
		sig, _, _ := strings.Cut(docs["daf."+n], "\n")
		section := doc[i+len(head):]
		if j := strings.Index(section, "\n## "); j >= 0 {
			section = section[:j]
		}
		// Long signatures may wrap: compare with whitespace collapsed.
		if !strings.Contains(strings.Join(strings.Fields(section), ""), strings.Join(strings.Fields(sig), "")) {
			t.Errorf("section daf.%s does not show the signature %q", n, sig)
		}
	}
}
