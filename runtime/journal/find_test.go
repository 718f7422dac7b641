package journal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeJournal writes a journal with a header of kind and name (and one
// more record) at dir/journal.jsonl.
func writeJournal(t *testing.T, dir, kind, name string) string {
	t.Helper()
	j, _, err := Open(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Append(kind, Header{Name: name}); err != nil {
		t.Fatal(err)
	}
	if err := j.Append("item", payload{1, "x"}); err != nil {
		t.Fatal(err)
	}
	return j.Path()
}

func TestFind(t *testing.T) {
	// A run's session: steps with a sweep and a pipeline of the same
	// name, another pipeline, a step without a journal; and a session of
	// its own (a CLI command's).
	run := t.TempDir()
	sweep := writeJournal(t, filepath.Join(run, "01_sweep"), "sweep", "grid")
	pipe := writeJournal(t, filepath.Join(run, "02_pipeline"), "pipeline", "grid")
	other := writeJournal(t, filepath.Join(run, "03_pipeline"), "pipeline", "other")
	os.MkdirAll(filepath.Join(run, "04_evaluation"), 0o755)
	os.WriteFile(filepath.Join(run, "manifest.json"), []byte("{}"), 0o644)
	own := t.TempDir()
	ownJournal := writeJournal(t, own, "pipeline", "cmp")
	// A journal cut inside its header is no journal yet.
	torn := t.TempDir()
	os.WriteFile(filepath.Join(torn, FileName), []byte(`{"type":"pipeline","da`), 0o644)

	cases := []struct {
		dir, kind, name, want, err string
	}{
		{run, "sweep", "grid", sweep, ""},
		{run, "pipeline", "grid", pipe, ""},
		{run, "pipeline", "other", other, ""},
		{run, "pipeline", "nosuch", "", ""},
		{run, "benchmark", "grid", "", ""},
		{filepath.Join(run, "02_pipeline"), "pipeline", "grid", pipe, ""}, // a step folder
		{filepath.Join(run, "02_pipeline"), "pipeline", "other", "", ""},  // a step folder holds only its own
		{own, "pipeline", "cmp", ownJournal, ""},
		{torn, "pipeline", "p", "", ""},
		{filepath.Join(run, "nosuch"), "pipeline", "grid", "", "no such file"},
		{filepath.Join(run, "manifest.json"), "pipeline", "grid", "", "is not a folder"},
	}
	for _, c := range cases {
		got, err := Find(c.dir, c.kind, c.name)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Find(%s, %s, %s): error %v, want %q", c.dir, c.kind, c.name, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Find(%s, %s, %s) = %q, %v; want %q", c.dir, c.kind, c.name, got, err, c.want)
		}
	}

	// Two journals of one pipeline in a session: an error naming both.
	writeJournal(t, filepath.Join(run, "05_pipeline"), "pipeline", "grid")
	_, err := Find(run, "pipeline", "grid")
	if err == nil || !strings.Contains(err.Error(), `2 journals of pipeline "grid" (in 02_pipeline, 05_pipeline)`) {
		t.Errorf("ambiguous: %v", err)
	}
	// A step folder still names one.
	if got, err := Find(filepath.Join(run, "05_pipeline"), "pipeline", "grid"); err != nil || !strings.HasPrefix(got, filepath.Join(run, "05_pipeline")) {
		t.Errorf("step folder of an ambiguous name: %q, %v", got, err)
	}
}
