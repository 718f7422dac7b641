package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dafscript/dafscript/runtime/output"
)

// TestScriptAndCLIWriteTheSameResult runs each operation once from a
// script and once from its CLI command with the same arguments: both go
// through the same runtime operation, so the result files are the same
// byte for byte.
func TestScriptAndCLIWriteTheSameResult(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cli    []string
		script string
		file   string // the command's result, under daf_output
		step   string // the script's, in its run's session
	}{
		{"evaluate",
			[]string{"eval", "-m", "training_facility_1", "-m", "training_facility_2", "-p", "baseline", "-p", "random", "-e", "2", "--seed", "5", "--episode-steps", "60"},
			`daf.evaluate(["baseline", "random"], ["training_facility_1", "training_facility_2"], episodes=2, seed=5, max_steps=60)`,
			"evaluations/*/evaluation.json", "runs/*/01_evaluation/evaluation.json"},
		{"evaluate a team mix",
			[]string{"eval", "-m", "training_facility_1", "-p", "baseline::3", "-p", "random::1", "--mix", "-e", "2", "--seed", "2", "--episode-steps", "40"},
			`daf.evaluate([["baseline::3", "random::1"]], "training_facility_1", episodes=2, seed=2, max_steps=40)`,
			"evaluations/*/evaluation.json", "runs/*/01_evaluation/evaluation.json"},
		{"compare",
			[]string{"compare", "-m", "training_facility_1", "-p", "baseline", "-p", "noop", "-e", "3", "--seed", "9", "--episode-steps", "50", "--metric", "hearts", "--alpha", "0.1"},
			`daf.compare(["baseline", "noop"], "training_facility_1", episodes_per_mission=3, seed=9, max_steps=50, metric="hearts", alpha=0.1)`,
			"comparisons/*/comparison.json", "runs/*/01_comparison/comparison.json"},
		{"compare mixed",
			[]string{"compare", "-m", "training_facility_1", "-p", "baseline", "-p", "random", "--mix", "-e", "2", "--seed", "4", "--episode-steps", "30"},
			`daf.compare(["baseline", "random"], "training_facility_1", episodes_per_mission=2, seed=4, max_steps=30, mixed=True)`,
			"comparisons/*/comparison.json", "runs/*/01_comparison/comparison.json"},
		{"analyze",
			[]string{"analyze", "training_facility_1", "--seed", "3"},
			`daf.analyze_mission("training_facility_1", seed=3)`,
			"evaluations/*/mission_analysis.json", "runs/*/01_analysis/mission_analysis.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cliDir, scriptDir := t.TempDir(), t.TempDir()
			st, _, errs := testState(cliDir)
			if code := Main(st, tc.cli); code != ExitOK {
				t.Fatalf("dafscript %v: exit code %d; stderr:\n%s", tc.cli, code, errs)
			}
			if err := os.WriteFile(filepath.Join(scriptDir, "s.star"), []byte(tc.script+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			st, _, errs = testState(scriptDir)
			if code := Main(st, []string{"-q", "--jobs", "2", "s.star"}); code != ExitOK {
				t.Fatalf("script %s: exit code %d; stderr:\n%s", tc.script, code, errs)
			}
			fromCLI, fromScript := readOne(t, cliDir, tc.file), readOne(t, scriptDir, tc.step)
			if !bytes.Equal(fromCLI, fromScript) {
				t.Errorf("%s differs:\nCLI:\n%.600s\nscript:\n%.600s", tc.file, fromCLI, fromScript)
			}
		})
	}
}

// readOne reads the one file matching pattern under dir/daf_output.
func readOne(t *testing.T, dir, pattern string) []byte {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "daf_output", pattern))
	if err != nil || len(m) != 1 {
		t.Fatalf("%s: matches %v (%v), want one", pattern, m, err)
	}
	data, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestScriptRunIsOneSession: every operation of a script run is a step of
// one session, listed in order in its manifest, and show reads it.
func TestScriptRunIsOneSession(t *testing.T) {
	dir := t.TempDir()
	src := `daf.evaluate("noop", "training_facility_1", episodes=1, max_steps=10)
daf.compare(["noop", "random"], "training_facility_1", episodes_per_mission=2, max_steps=10)
daf.analyze_mission("training_facility_1")
`
	if err := os.WriteFile(filepath.Join(dir, "s.star"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _, errs := testState(dir)
	if code := Main(st, []string{"-q", "s.star"}); code != ExitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, errs)
	}
	sessions, _ := filepath.Glob(filepath.Join(dir, "daf_output", "*", "*", "manifest.json"))
	if len(sessions) != 1 {
		t.Fatalf("sessions %v, want one", sessions)
	}
	man, err := output.ReadManifest(filepath.Dir(sessions[0]))
	if err != nil {
		t.Fatal(err)
	}
	var steps, files []string
	for _, s := range man.Steps {
		steps = append(steps, s.Dir+" "+string(s.Status))
	}
	for _, f := range man.Files {
		files = append(files, f.Name)
	}
	wantSteps := []string{"01_evaluation done", "02_comparison done", "03_analysis done"}
	wantFiles := []string{"01_evaluation/evaluation.json", "02_comparison/comparison.json", "03_analysis/mission_analysis.json"}
	if man.Operation != "runs" || man.Status != output.StatusDone || !slices.Equal(steps, wantSteps) || !slices.Equal(files, wantFiles) {
		t.Errorf("session %s/%s %s: steps %v, files %v; want steps %v, files %v", man.Operation, man.Session, man.Status, steps, files, wantSteps, wantFiles)
	}
	st, out, errs := testState(dir)
	if code := Main(st, []string{"show", "--verify", man.Session}); code != ExitOK {
		t.Fatalf("show: exit code %d; stderr:\n%s", code, errs)
	}
	if !bytes.Contains(out.Bytes(), []byte("02_comparison/comparison.json")) {
		t.Errorf("show does not list the steps' files:\n%s", out)
	}
	st, out, errs = testState(dir)
	if code := Main(st, []string{"report", "--markdown", man.Session}); code != ExitOK {
		t.Fatalf("report: exit code %d; stderr:\n%s", code, errs)
	}
}
