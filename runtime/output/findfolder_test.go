package output

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindFolder(t *testing.T) {
	wd := t.TempDir()
	root := filepath.Join(wd, "daf_output")
	m := NewManager(root)
	run, err := m.NewSession("runs", RunInfo{})
	if err != nil {
		t.Fatal(err)
	}
	step, err := run.BeginStep("pipeline", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.EndStep(step, StatusDone, nil); err != nil {
		t.Fatal(err)
	}
	run.Finish(StatusDone)
	rel := func(p string) string { r, _ := filepath.Rel(wd, p); return r }
	os.MkdirAll(filepath.Join(run.Dir(), "99_stray"), 0o755)
	cases := []struct{ ref, want, err string }{
		{run.Dir(), run.Dir(), ""},
		{rel(run.Dir()), run.Dir(), ""},
		{step.Dir(), step.Dir(), ""},
		{rel(step.Dir()), step.Dir(), ""},
		{"runs/" + run.ID(), run.Dir(), ""},
		{run.ID(), run.Dir(), ""},
		{"nosuch", "", `no session "nosuch"`},
		{"runs/", "", `no session "runs/"`},
		{root, "", "is neither a session folder nor a step of one"},
		{filepath.Join(run.Dir(), "99_stray"), "", "its parent lists no step 99_stray"},
	}
	for _, c := range cases {
		got, err := m.FindFolder(c.ref, wd)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("FindFolder(%q): %q, %v; want error %q", c.ref, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("FindFolder(%q) = %q, %v; want %q", c.ref, got, err, c.want)
		}
	}
}
