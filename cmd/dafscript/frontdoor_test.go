package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
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
		file   string            // the command's result, under daf_output
		step   string            // the script's, in its run's session
		files  map[string]string // written in the CLI's folder
	}{
		{"evaluate",
			[]string{"eval", "-m", "training_facility_1", "-m", "training_facility_2", "-p", "baseline", "-p", "random", "-e", "2", "--seed", "5", "--episode-steps", "60"},
			`daf.evaluate(["baseline", "random"], ["training_facility_1", "training_facility_2"], episodes=2, seed=5, max_steps=60)`,
			"evaluations/*/evaluation.json", "runs/*/01_evaluation/evaluation.json", nil},
		{"evaluate a team mix",
			[]string{"eval", "-m", "training_facility_1", "-p", "baseline::3", "-p", "random::1", "--mix", "-e", "2", "--seed", "2", "--episode-steps", "40"},
			`daf.evaluate([["baseline::3", "random::1"]], "training_facility_1", episodes=2, seed=2, max_steps=40)`,
			"evaluations/*/evaluation.json", "runs/*/01_evaluation/evaluation.json", nil},
		{"compare",
			[]string{"compare", "-m", "training_facility_1", "-p", "baseline", "-p", "noop", "-e", "3", "--seed", "9", "--episode-steps", "50", "--metric", "hearts", "--alpha", "0.1"},
			`daf.compare(["baseline", "noop"], "training_facility_1", episodes_per_mission=3, seed=9, max_steps=50, metric="hearts", alpha=0.1)`,
			"comparisons/*/comparison.json", "runs/*/01_comparison/comparison.json", nil},
		{"compare mixed",
			[]string{"compare", "-m", "training_facility_1", "-p", "baseline", "-p", "random", "--mix", "-e", "2", "--seed", "4", "--episode-steps", "30"},
			`daf.compare(["baseline", "random"], "training_facility_1", episodes_per_mission=2, seed=4, max_steps=30, mixed=True)`,
			"comparisons/*/comparison.json", "runs/*/01_comparison/comparison.json", nil},
		{"analyze",
			[]string{"analyze", "training_facility_1", "--seed", "3"},
			`daf.analyze_mission("training_facility_1", seed=3)`,
			"evaluations/*/mission_analysis.json", "runs/*/01_analysis/mission_analysis.json", nil},
		{"sweep of a scripted policy",
			[]string{"sweep", "--jobs", "1", "s.yaml"},
			`daf.sweep("cmp", ["training_facility_1", "training_facility_2"], "baseline",
    {"recharge_below": {"min": 0, "max": 100, "type": "int"}, "batch_cargo": [20, 60]},
    strategy="tpe", num_trials=5, episodes_per_trial=1, seed=3, pruner="median", objective="performance_score")`,
			"sweeps/*/sweep.json", "runs/*/01_sweep/sweep.json", map[string]string{"s.yaml": `name: cmp
missions: [training_facility_1, training_facility_2]
policy_class_path: baseline
search_space:
  batch_cargo: [20, 60]
  recharge_below: {min: 0, max: 100, type: int}
strategy: tpe
num_trials: 5
episodes_per_trial: 1
seed: 3
pruner: median
objective: performance_score
`}},
		{"sweep of a trained policy",
			[]string{"sweep", "--jobs", "1", "t.yaml"},
			`daf.sweep(policy_class_path="stateless", name="t", missions=["training_facility_1"], train_steps=512, seed=2,
    search_space={"learning_rate": [0.001, 0.01], "hidden_size": [8], "num_envs": [2], "minibatch_size": [128], "bptt_horizon": [16]},
    episodes_per_trial=1, objective="performance_score")`,
			"sweeps/*/sweep.json", "runs/*/01_sweep/sweep.json", map[string]string{"t.yaml": `name: t
missions: [training_facility_1]
policy_class_path: stateless
train_steps: 512
seed: 2
search_space:
  learning_rate: [0.001, 0.01]
  hidden_size: [8]
  num_envs: [2]
  minibatch_size: [128]
  bptt_horizon: [16]
episodes_per_trial: 1
objective: performance_score
`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cliDir, scriptDir := t.TempDir(), t.TempDir()
			for name, data := range tc.files {
				if err := os.WriteFile(filepath.Join(cliDir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
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
			if strings.HasPrefix(tc.file, "sweeps/") && (!bytes.Contains(fromCLI, []byte(`"status": "complete"`)) || bytes.Contains(fromCLI, []byte(`"status": "failed"`))) {
				t.Errorf("the sweep did not complete its trials:\n%s", fromCLI)
			}
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
r = daf.compare(["noop", "random"], "training_facility_1", episodes_per_mission=2, max_steps=10)
daf.analyze_mission("training_facility_1")
daf.export_html(r)
daf.export_html([r, r], path="elsewhere/r.html")
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
	wantSteps := []string{"01_evaluation done", "02_comparison done", "03_analysis done", "04_report done", "05_report done"}
	wantFiles := []string{"01_evaluation/evaluation.json", "02_comparison/comparison.json", "03_analysis/mission_analysis.json", "04_report/comparison.html"}
	if man.Operation != "runs" || man.Status != output.StatusDone || !slices.Equal(steps, wantSteps) || !slices.Equal(files, wantFiles) {
		t.Errorf("session %s/%s %s: steps %v, files %v; want steps %v, files %v", man.Operation, man.Session, man.Status, steps, files, wantSteps, wantFiles)
	}
	// A report written to a path of its own is a step naming that file.
	if p, _ := man.Steps[4].Args["path"].(string); p != filepath.Join(dir, "daf_output", "elsewhere", "r.html") {
		t.Errorf("step 05_report: args %v, want the path written", man.Steps[4].Args)
	} else if _, err := os.Stat(p); err != nil {
		t.Error(err)
	}
	st, out, errs := testState(dir)
	if code := Main(st, []string{"show", "--verify", man.Session}); code != ExitOK {
		t.Fatalf("show: exit code %d; stderr:\n%s", code, errs)
	}
	for _, want := range []string{"02_comparison/comparison.json", "steps (5):", "05_report", `"path":`} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("show does not list the steps and their files (%q):\n%s", want, out)
		}
	}
	st, out, errs = testState(dir)
	if code := Main(st, []string{"report", "--markdown", man.Session}); code != ExitOK {
		t.Fatalf("report: exit code %d; stderr:\n%s", code, errs)
	}
	st, out, errs = testState(dir)
	if code := Main(st, []string{"sessions", "--op", "runs"}); code != ExitOK || !bytes.Contains(out.Bytes(), []byte(man.Session)) {
		t.Fatalf("sessions: exit code %d; stdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	// The HTML report of the run has a section of each step's result.
	st, out, errs = testState(dir)
	if code := Main(st, []string{"report", "runs/" + man.Session}); code != ExitOK {
		t.Fatalf("report: exit code %d; stderr:\n%s", code, errs)
	}
	html, err := os.ReadFile(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="ranked-table"`, "<title>Session runs/" + man.Session} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("report of the run lacks %q", want)
		}
	}
}

// runSteps returns, for each session under dir/daf_output, its folder
// and status and its steps' folders and statuses, sorted by folder.
func runSteps(t *testing.T, dir string) map[string][]string {
	t.Helper()
	manifests, _ := filepath.Glob(filepath.Join(dir, "daf_output", "*", "*", "manifest.json"))
	got := map[string][]string{}
	for _, m := range manifests {
		man, err := output.ReadManifest(filepath.Dir(m))
		if err != nil {
			t.Fatal(err)
		}
		key := man.Operation + " " + string(man.Status) + " " + filepath.Base(man.ScriptPath)
		var steps []string
		for _, s := range man.Steps {
			steps = append(steps, s.Dir+" "+string(s.Status))
		}
		got[key] = steps
	}
	return got
}

// A REPL session is one run session, its statements' operations steps
// of it; a statement that fails does not end the session.
func TestREPLIsOneSession(t *testing.T) {
	dir := t.TempDir()
	st, _, errs := testState(dir)
	st.Stdin = strings.NewReader(`a = daf.analyze_mission("training_facility_1")
daf.evaluate("noop", "training_facility_1", episodes=0)
daf.export_html(a)
`)
	if code := Main(st, []string{"repl", "-q"}); code != ExitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, errs)
	}
	want := map[string][]string{"runs done <stdin>": {"01_analysis done", "02_report done"}}
	if got := runSteps(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("sessions %v, want %v", got, want)
	}
}

// Each *_test.star file's run is one session; a file with a failing test
// ends failed, one that calls no operation opens none.
func TestTestFilesAreRunSessions(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a_test.star": `def test_two():
    daf.analyze_mission("training_facility_1")
    daf.analyze_mission("training_facility_2")
`,
		"b_test.star": `def test_fails():
    daf.analyze_mission("training_facility_1")
    assert.eq(1, 2)
`,
		"c_test.star": `def test_nothing():
    pass
`,
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, _, errs := testState(dir)
	if code := Main(st, []string{"test", "-q", "."}); code != ExitRegression {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, ExitRegression, errs)
	}
	want := map[string][]string{
		"runs done a_test.star":   {"01_analysis done", "02_analysis done"},
		"runs failed b_test.star": {"01_analysis done"},
	}
	if got := runSteps(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("sessions %v, want %v", got, want)
	}
}

// TestDeploymentScriptAndCLIWriteTheSameResults runs a deployment from a
// script and from the CLI with the same arguments: two packages, a
// validation against a reference, two deploys (the second forced past a
// failing gate), a refused deploy and a rollback. Every deployment session
// writes the same files, byte for byte once the working directory is
// masked (results name absolute paths), and the registries end the same.
func TestDeploymentScriptAndCLIWriteTheSameResults(t *testing.T) {
	gate := []string{"-m", "training_facility_1", "-e", "3", "--seed", "4", "--episode-steps", "600"}
	cli := [][]string{
		{"package", "baseline", "--name", "agent", "--version", "1", "--path", "pkgs/agent-1.dafpkg"},
		{"package", "noop", "--name", "agent", "--version", "2", "--path", "pkgs/agent-2.dafpkg"},
		append([]string{"validate", "pkgs/agent-1.dafpkg", "--against", "noop", "--alpha", "0.1", "--min-reward", "0"}, gate...),
		{"deploy", "pkgs/agent-1.dafpkg", "--registry", "reg"},
		append([]string{"deploy", "pkgs/agent-2.dafpkg", "--registry", "reg", "--against", "baseline", "--force"}, gate...),
		{"rollback", "agent", "--registry", "reg"},
	}
	script := `
p1 = daf.package("baseline", "agent", "1", path="pkgs/agent-1.dafpkg")
p2 = daf.package("noop", "agent", "2", path="pkgs/agent-2.dafpkg")
daf.validate(p1, "training_facility_1", episodes=3, seed=4, max_steps=600, against="noop", alpha=0.1, min_reward=0)
daf.deploy("pkgs/agent-1.dafpkg", registry="reg")
daf.deploy(p2, registry="reg", missions=["training_facility_1"], episodes=3, seed=4, max_steps=600, against="baseline", force=True)
daf.rollback("agent", registry="reg")
`
	cliDir, scriptDir := t.TempDir(), t.TempDir()
	for _, args := range cli {
		st, _, errs := testState(cliDir)
		if code := Main(st, args); code != ExitOK {
			t.Fatalf("dafscript %v: exit code %d; stderr:\n%s", args, code, errs)
		}
	}
	if err := os.WriteFile(filepath.Join(scriptDir, "s.star"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _, errs := testState(scriptDir)
	if code := Main(st, []string{"-q", "--jobs", "2", "s.star"}); code != ExitOK {
		t.Fatalf("script: exit code %d; stderr:\n%s", code, errs)
	}
	fromCLI, fromScript := sessionFiles(t, cliDir, "deployment"), stepFiles(t, scriptDir)
	if len(fromCLI) != len(cli) || len(fromScript) != len(cli) {
		t.Fatalf("%d sessions from the CLI, %d from the script, want %d each", len(fromCLI), len(fromScript), len(cli))
	}
	for i := range fromCLI {
		a, b := fromCLI[i], fromScript[i]
		if strings.Join(sortedKeys(a), " ") != strings.Join(sortedKeys(b), " ") {
			t.Fatalf("session %d: files %v from the CLI, %v from the script", i, sortedKeys(a), sortedKeys(b))
		}
		for name := range a {
			ca := strings.ReplaceAll(string(a[name]), cliDir, "$WORK")
			cb := strings.ReplaceAll(string(b[name]), scriptDir, "$WORK")
			if name != "agent-1.dafpkg" && ca != cb {
				t.Errorf("session %d: %s differs:\nCLI:\n%.800s\nscript:\n%.800s", i, name, ca, cb)
			}
		}
	}
	for _, f := range []string{"reg/agent/current", "reg/registry.json", "pkgs/agent-1.dafpkg", "pkgs/agent-2.dafpkg", "reg/agent/versions/2/package.dafpkg"} {
		a, errA := os.ReadFile(filepath.Join(cliDir, f))
		b, errB := os.ReadFile(filepath.Join(scriptDir, f))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs (%v, %v)", f, errA, errB)
		}
	}
	if cur, _ := os.ReadFile(filepath.Join(cliDir, "reg/agent/current")); !strings.Contains(string(cur), `"version":"1"`) && !strings.Contains(string(cur), `"version": "1"`) {
		t.Errorf("after the rollback, current is %s, want version 1", cur)
	}
}

// stepFiles reads the steps of the one session a script run under
// dir/daf_output made, in order: for each, its files.
func stepFiles(t *testing.T, dir string) []map[string][]byte {
	t.Helper()
	runs, err := filepath.Glob(filepath.Join(dir, "daf_output", "runs", "*"))
	if err != nil || len(runs) != 1 {
		t.Fatalf("run sessions %v (%v), want one", runs, err)
	}
	steps, err := filepath.Glob(filepath.Join(runs[0], "[0-9]*_*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(steps)
	var out []map[string][]byte
	for _, sd := range steps {
		out = append(out, folderFiles(t, sd))
	}
	return out
}

// folderFiles reads the files of one folder but a manifest.
func folderFiles(t *testing.T, sd string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	fs, err := os.ReadDir(sd)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Name() == "manifest.json" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(sd, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name()] = b
	}
	return files
}

// sessionFiles reads every session of folder op under dir/daf_output, in
// the order they were made: for each, its files but the manifest.
func sessionFiles(t *testing.T, dir, op string) []map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "daf_output", op))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(ents))
	for _, e := range ents {
		ids = append(ids, e.Name())
	}
	// IDs are a second's timestamp, then _2, _3 ... within that second.
	sort.Slice(ids, func(i, j int) bool {
		bi, ni := splitID(ids[i])
		bj, nj := splitID(ids[j])
		if bi != bj {
			return bi < bj
		}
		return ni < nj
	})
	var out []map[string][]byte
	for _, id := range ids {
		out = append(out, folderFiles(t, filepath.Join(dir, "daf_output", op, id)))
	}
	return out
}

func splitID(id string) (string, int) {
	base, n, ok := strings.Cut(id, "_")
	if !ok {
		return id, 1
	}
	// base_time[_N]
	t, n2, ok := strings.Cut(n, "_")
	if !ok {
		return id, 1
	}
	k, _ := strconv.Atoi(n2)
	return base + "_" + t, k
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
