package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const killSweep = `name: killed
missions: [training_facility_1, training_facility_2]
policy_class_path: baseline
search_space:
  recharge_below: [0, 20, 40, 60]
  batch_cargo: [20, 40, 80]
episodes_per_trial: 3
seed: 8
objective: performance_score
`

// trialLines returns the trial records of a journal, by line.
func trialLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, `{"type":"trial"`) && json.Valid([]byte(l)) { // a torn last line is not a record
			out = append(out, l)
		}
	}
	return out
}

func onlyMatch(t *testing.T, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) != 1 {
		t.Fatalf("%s: matches %v (%v), want one", pattern, m, err)
	}
	return m[0]
}

// TestSweepKilledAndResumed kills a real dafscript process (SIGKILL) in
// the middle of a sweep, resumes it with --resume SESSION, and gets the
// sweep.json of an uninterrupted run, byte for byte; the trials that had
// ended are kept as they were (their journal records, durations included,
// are copied, not made again) and every trial appears once.
func TestSweepKilledAndResumed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := builtBinary(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s.yaml"), []byte(killSweep), 0o644); err != nil {
		t.Fatal(err)
	}
	// --no-cache: the killed run must play its trials, not take them
	// from the uninterrupted run's cache entries.
	cacheDir := t.TempDir()
	dafscript := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, append([]string{args[0], "--no-cache"}, args[1:]...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DAF_CACHE_DIR="+cacheDir)
		return cmd
	}
	if out, err := dafscript("sweep", "--jobs", "2", "--out", "whole", "s.yaml").CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted sweep: %v\n%s", err, out)
	}
	want, err := os.ReadFile(onlyMatch(t, filepath.Join(dir, "whole/sweeps/*/sweep.json")))
	if err != nil {
		t.Fatal(err)
	}

	cmd := dafscript("sweep", "--jobs", "1", "--out", "killed", "s.yaml")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var journal string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m, _ := filepath.Glob(filepath.Join(dir, "killed/sweeps/*/journal.jsonl")); len(m) == 1 {
			if data, err := os.ReadFile(m[0]); err == nil && strings.Count(string(data), `{"type":"trial"`) >= 3 {
				journal = m[0]
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if journal == "" {
		t.Fatal("the sweep wrote no 3 trials within a minute")
	}
	kept := trialLines(t, journal)
	if len(kept) >= 12 {
		t.Fatalf("the process was killed after all %d trials; nothing to resume", len(kept))
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(journal), "sweep.json")); err == nil {
		t.Fatal("the killed sweep wrote its result")
	}

	session := filepath.Dir(journal)
	if out, err := dafscript("sweep", "--jobs", "2", "--out", "killed", "--resume", session, "s.yaml").CombinedOutput(); err != nil {
		t.Fatalf("resumed sweep: %v\n%s", err, out)
	}
	var resumed string
	for _, m := range mustGlob(t, filepath.Join(dir, "killed/sweeps/*/sweep.json")) {
		resumed = m
	}
	got, err := os.ReadFile(resumed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("resumed sweep.json differs from the uninterrupted one:\n%s\nwant\n%s", got, want)
	}
	all := trialLines(t, filepath.Join(filepath.Dir(resumed), "journal.jsonl"))
	if len(all) != 12 {
		t.Errorf("the resumed journal has %d trial records, want 12 (each trial once)", len(all))
	}
	for i, l := range kept {
		if all[i] != l {
			t.Errorf("record %d of the killed run was not kept as it was:\n%s\nnow\n%s", i, l, all[i])
		}
	}
	t.Logf("killed after %d of 12 trials", len(kept))
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("%s: no match (%v)", pattern, err)
	}
	return m
}

// TestScriptResume: `dafscript run --resume SESSION` hands the session to
// the script's sweeps, which keep the trials of their journal there and
// end with the uninterrupted result; a sweep with no journal there starts
// afresh.
func TestScriptResume(t *testing.T) {
	dir := t.TempDir()
	script := `daf.sweep("a", "training_facility_1", "baseline", {"recharge_below": [0, 30, 60, 90]}, episodes_per_trial=1, seed=2)
daf.sweep("b", "training_facility_1", "baseline", {"batch_cargo": [10, 90]}, episodes_per_trial=1, seed=2)
`
	if err := os.WriteFile(filepath.Join(dir, "s.star"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _, errs := testState(dir)
	if code := Main(st, []string{"-q", "--episode-steps", "50", "s.star"}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// One run session, each sweep a step of it.
	sessions := mustGlob(t, filepath.Join(dir, "daf_output/runs/*/*_sweep/journal.jsonl"))
	if len(sessions) != 2 {
		t.Fatalf("%d sweep steps", len(sessions))
	}
	first := filepath.Dir(sessions[0])
	want, err := os.ReadFile(filepath.Join(first, "sweep.json"))
	if err != nil {
		t.Fatal(err)
	}
	// As a kill leaves it: the header and two trials.
	lines := strings.SplitAfter(string(mustRead(t, filepath.Join(first, "journal.jsonl"))), "\n")
	if err := os.WriteFile(filepath.Join(first, "journal.jsonl"), []byte(strings.Join(lines[:3], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _, errs = testState(dir)
	if code := Main(st, []string{"-q", "--episode-steps", "50", "--resume", filepath.Dir(first), "s.star"}); code != ExitOK {
		t.Fatalf("resumed: exit %d: %s", code, errs)
	}
	all := mustGlob(t, filepath.Join(dir, "daf_output/runs/*/*_sweep/journal.jsonl"))
	if len(all) != 4 {
		t.Fatalf("%d sweep steps after the rerun, want 4", len(all))
	}
	resumedA := filepath.Dir(all[2])
	if got := mustRead(t, filepath.Join(resumedA, "sweep.json")); !bytes.Equal(got, want) {
		t.Errorf("resumed sweep.json differs:\n%s\nwant\n%s", got, want)
	}
	if got := strings.Join(strings.SplitAfter(string(mustRead(t, filepath.Join(resumedA, "journal.jsonl"))), "\n")[:3], ""); got != strings.Join(lines[:3], "") {
		t.Errorf("the kept trials were not copied as they were")
	}
	if n := len(trialLines(t, filepath.Join(resumedA, "journal.jsonl"))); n != 4 {
		t.Errorf("%d trial records, want 4", n)
	}
	st, _, errs = testState(dir)
	if code := Main(st, []string{"-q", "--resume", "sweeps/nosuch", "s.star"}); code != ExitUsage || !strings.Contains(errs.String(), "--resume") {
		t.Errorf("an unknown session: exit %d, %s", code, errs)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSweepTrialsOnNATSAndCache: `dafscript sweep --nats embedded` runs
// the trials on in-process NATS workers and prints the sweep.json of a
// local run; a rerun with the cache takes them from it (dafscript cache
// stats counts them) and prints the same.
func TestSweepTrialsOnNATSAndCache(t *testing.T) {
	dir := t.TempDir()
	cfg := `name: n
missions: [training_facility_1]
policy_class_path: baseline
strategy: tpe
num_trials: 5
search_space: {recharge_below: {min: 0, max: 120, type: int}}
episodes_per_trial: 1
pruner: asha
seed: 3
`
	if err := os.WriteFile(filepath.Join(dir, "s.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	sweep := func(args ...string) string {
		t.Helper()
		st, out, errs := testState(dir)
		st.UserCacheDir = func() (string, error) { return cacheDir, nil }
		args = append(append([]string{"sweep", "--episode-steps", "40", "--jobs", "2", "--format", "json"}, args...), "s.yaml")
		if code := Main(st, args); code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		return out.String()
	}
	want := sweep("--no-cache")
	if got := sweep("--no-cache", "--nats", "embedded"); got != want {
		t.Fatalf("--nats embedded:\n%s\nlocal:\n%s", got, want)
	}
	// daf.sweep in a script run with --nats embedded.
	if err := os.WriteFile(filepath.Join(dir, "s.star"), []byte(`daf.sweep(**daf.load_config("s.yaml"))`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _, errs := testState(dir)
	if code := Main(st, []string{"run", "-q", "--episode-steps", "40", "--jobs", "2", "--no-cache", "--nats", "embedded", "--out", "script", "s.star"}); code != ExitOK {
		t.Fatalf("script: exit %d: %s", code, errs)
	}
	if got := string(mustRead(t, onlyMatch(t, filepath.Join(dir, "script/runs/*/*_sweep/sweep.json")))); got != want {
		t.Fatalf("daf.sweep with --nats embedded:\n%s\nlocal:\n%s", got, want)
	}
	if got := sweep("--nats", "embedded"); got != want {
		t.Fatalf("with the cache:\n%s\nlocal:\n%s", got, want)
	}
	if got := sweep(); got != want {
		t.Fatalf("from the cache:\n%s\nlocal:\n%s", got, want)
	}
	st, out, errs := testState(dir)
	st.UserCacheDir = func() (string, error) { return cacheDir, nil }
	if code := Main(st, []string{"cache", "stats"}); code != ExitOK || !regexp.MustCompile(`(?m)^  trials +5 entries`).MatchString(out.String()) {
		t.Errorf("cache stats: exit %d: %s%s", code, out, errs)
	}
	st, _, errs = testState(dir)
	if code := Main(st, []string{"sweep", "--nats", "nats://x:4222", "--nats-listen", ":0", "s.yaml"}); code != ExitUsage || !strings.Contains(errs.String(), "--nats-listen is for --nats embedded") {
		t.Errorf("bad NATS flags: exit %d: %s", code, errs)
	}
}
