package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dafscript/dafscript/runtime/train/torch"
)

// sessionID matches a session folder and the number of a step in it
// (runs/<id>/05_package): a stage that runs again after a resume is a
// step of the new session, numbered after the steps that ran there.
var sessionID = regexp.MustCompile(`/(runs|pipelines)/[0-9]{8}_[0-9]{6}(_[0-9]+)?/([0-9]{2,}_)?`)

// pipelineFolders returns the folders of the pipelines run under out,
// oldest first: the pipeline steps of script runs (runs/<id>/NN_pipeline)
// and of pipeline commands (pipelines/<id>/NN_pipeline).
func pipelineFolders(t *testing.T, out string) []string {
	t.Helper()
	var dirs []string
	for _, folder := range []string{"runs", "pipelines"} {
		d, _ := filepath.Glob(filepath.Join(out, folder, "*", "[0-9][0-9]_pipeline"))
		dirs = append(dirs, d...)
	}
	slices.Sort(dirs)
	return dirs
}

// sessionRef is the FOLDER/ID of the session a pipeline's step folder
// belongs to, as --resume takes it.
func sessionRef(step string) string {
	session := filepath.Dir(step)
	return filepath.Base(filepath.Dir(session)) + "/" + filepath.Base(session)
}

// journalHas says whether a session's journal records stage as done.
func journalHas(dir, stage string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "journal.jsonl"))
	if err != nil {
		return false
	}
	return bytes.Contains(data, []byte(`"stage":"`+stage+`","status":"done"`))
}

// TestPipelineKilledThenResumed kills a pipeline with SIGKILL while a
// stage runs, resumes it with --resume, and checks that the final
// pipeline.json is the one an uninterrupted run writes.
func TestPipelineKilledThenResumed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs pipelines")
	}
	bin := builtBinary(t)
	cases := []struct {
		name, script, first, killed string
	}{
		{"comparison", `load("@daf/pipelines.star", "comparison_pipeline")
r = comparison_pipeline(["baseline", "random", "noop"], ["training_facility_1", "training_facility_2", "assembler_2"], episodes = 6, seed = 3)
print(r.status)
`, "check", "compare"},
		{"benchmark", `load("@daf/pipelines.star", "benchmark_pipeline")
r = benchmark_pipeline(["baseline", "random", "noop"], suite = "standard", episodes = 6, seed = 3)
print(r.status)
`, "check", "benchmark"},
		{"training", `load("@daf/pipelines.star", "training_pipeline")
r = training_pipeline(["training_facility_1"], steps = 4096, episodes = 6, seed = 3,
                      hyperparameters = {"num_envs": 8, "threads": 1, "minibatch_size": 512, "bptt_horizon": 16})
print(r.status)
`, "train", "evaluate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "training" && !torch.Available {
				t.Skip("this build has no training backend")
			}
			dir := t.TempDir()
			script := filepath.Join(dir, "p.star")
			if err := os.WriteFile(script, []byte(c.script), 0o644); err != nil {
				t.Fatal(err)
			}
			run := func(out string, args ...string) *exec.Cmd {
				cmd := exec.Command(bin, append([]string{"run", "-q", "--jobs", "1", "--out", out}, append(args, script)...)...)
				cmd.Dir = dir
				return cmd
			}
			// Uninterrupted.
			plain := filepath.Join(dir, "plain")
			if out, err := run(plain).CombinedOutput(); err != nil {
				t.Fatalf("uninterrupted run: %v\n%s", err, out)
			}
			plainFolders := pipelineFolders(t, plain)
			if len(plainFolders) != 1 {
				t.Fatalf("pipelines of the uninterrupted run: %v", plainFolders)
			}
			want, err := os.ReadFile(filepath.Join(plainFolders[0], "pipeline.json"))
			if err != nil {
				t.Fatal(err)
			}
			// Killed once the first stage is done.
			out := filepath.Join(dir, "killed")
			cmd := run(out)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				if s := pipelineFolders(t, out); len(s) == 1 && journalHas(s[0], c.first) {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("the first stage never finished")
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
			killed := pipelineFolders(t, out)[0]
			if _, err := os.Stat(filepath.Join(killed, "pipeline.json")); err == nil {
				t.Fatal("the killed run finished before the kill; make its stage longer")
			}
			killedInStage := !journalHas(killed, c.killed)
			// Resumed.
			// --resume names the killed run's session; the pipeline's
			// journal is found in it by name.
			if o, err := run(out, "--resume", sessionRef(killed)).CombinedOutput(); err != nil {
				t.Fatalf("resumed run: %v\n%s", err, o)
			}
			sessions := pipelineFolders(t, out)
			if len(sessions) != 2 {
				t.Fatalf("sessions after resume: %v", sessions)
			}
			got, err := os.ReadFile(filepath.Join(sessions[1], "pipeline.json"))
			if err != nil {
				t.Fatal(err)
			}
			// A training's checkpoint and a package are named by their
			// output root, session and step, which differ between the
			// runs.
			norm := func(b []byte, out string) []byte {
				b = bytes.ReplaceAll(b, []byte(out), []byte("OUT"))
				return sessionID.ReplaceAll(b, []byte("/SESSION/NN_"))
			}
			got, want = norm(got, out), norm(want, plain)
			if !bytes.Equal(got, want) {
				t.Errorf("resumed pipeline.json differs from the uninterrupted run's:\n%s\nwant:\n%s", got, want)
			}
			var tm struct {
				Reused      []string `json:"reused"`
				ResumedFrom string   `json:"resumed_from"`
			}
			data, _ := os.ReadFile(filepath.Join(sessions[1], "timings.json"))
			if err := json.Unmarshal(data, &tm); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(tm.Reused, c.first) || tm.ResumedFrom != killed {
				t.Errorf("timings: reused %v from %q, want %s reused from %s", tm.Reused, tm.ResumedFrom, c.first, killed)
			}
			if killedInStage && slices.Contains(tm.Reused, c.killed) {
				t.Errorf("stage %s was killed mid-way but is reported reused", c.killed)
			}
			t.Logf("killed during %s: %v; reused %s", c.killed, killedInStage, strings.Join(tm.Reused, ", "))
		})
	}
}

// TestPipelineCommandResume runs a pipeline config, then resumes it: every
// stage is reused and pipeline.json is the same.
func TestPipelineCommandResume(t *testing.T) {
	dir := t.TempDir()
	cfg := "name: cmp\nmissions: [training_facility_1]\nseed: 2\nepisodes: 2\nstages: [check, comparison]\ncomparison_config: {policies: [baseline, noop]}\n"
	if err := os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _, errs := testState(dir)
	if code := Main(st, []string{"pipeline", "-q", "--episode-steps", "100", "p.yaml"}); code != ExitOK {
		t.Fatalf("exit code %d\n%s", code, errs)
	}
	firsts := pipelineFolders(t, filepath.Join(dir, "daf_output"))
	if len(firsts) != 1 || !strings.Contains(firsts[0], string(filepath.Separator)+"pipelines"+string(filepath.Separator)) {
		t.Fatalf("pipelines after one command: %v, want one step of a pipelines/ session", firsts)
	}
	st, out, errs := testState(dir)
	if code := Main(st, []string{"pipeline", "-q", "--episode-steps", "100", "--resume", sessionRef(firsts[0]), "p.yaml"}); code != ExitOK {
		t.Fatalf("resume: exit code %d\n%s", code, errs)
	}
	if !strings.Contains(out.String(), `reused: ["check", "comparison"]`) {
		t.Errorf("resume output:\n%s", out)
	}
	s := pipelineFolders(t, filepath.Join(dir, "daf_output"))
	a, _ := os.ReadFile(filepath.Join(s[0], "pipeline.json"))
	b, _ := os.ReadFile(filepath.Join(s[1], "pipeline.json"))
	if len(s) != 2 || len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("pipeline.json of the resumed run differs:\n%s\n%s", a, b)
	}
}
