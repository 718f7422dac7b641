package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// runCLI runs dafscript in-process and returns the exit code and outputs.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(&State{Stdout: &out, Stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func TestMissionsAndPlay(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    []string // substrings expected on stdout
		notStdout []string
		stderr    []string
	}{
		{name: "missions table", args: []string{"missions"}, code: 0,
			stdout:    []string{"MISSION", "MAX STEPS", "training_facility_1", "31x31", "training_facility.harvest", "extractor_heart_tune(10)", "machina_1.open_world", "210x210"},
			notStdout: []string{"DESCRIPTION", "Variants:"}},
		{name: "missions verbose", args: []string{"missions", "-v"}, code: 0,
			stdout: []string{"DESCRIPTION", "Variants:", "dark_side", "Energy regeneration 0."}},
		{name: "missions extra argument", args: []string{"missions", "x"}, code: 2,
			stderr: []string{`unexpected argument "x"`}},
		{name: "play summary only", args: []string{"play", "-m", "training_facility_1", "-p", "baseline", "--seed", "1", "--render", "none"}, code: 0,
			stdout:    []string{"mission training_facility_1, policy baseline, seed 1", "steps: 1000", "reward per agent: 1.00 1.00 1.00 1.00 (total 4.00)", "hearts deposited: 4", "germanium.gained"},
			notStdout: []string{"step 1/"}},
		{name: "play frames", args: []string{"play", "-m", "training_facility_1", "-p", "random", "--steps", "3"}, code: 0,
			stdout: []string{"step 0/3", "step 1/3", "step 3/3", "###", "steps: 3", "hearts deposited: 0"}},
		{name: "unknown mission", args: []string{"play", "-m", "traning_facility_1", "-p", "baseline"}, code: 2,
			stderr: []string{`unknown mission "traning_facility_1"`, "did you mean training_facility_1"}},
		{name: "unknown policy", args: []string{"play", "-m", "training_facility_1", "-p", "basline"}, code: 2,
			stderr: []string{`unknown policy "basline" (did you mean baseline?)`}},
		{name: "policy with data it cannot take", args: []string{"play", "-m", "training_facility_1", "-p", "baseline:x.pt"}, code: 1,
			stderr: []string{"takes no data path"}},
		{name: "proportion", args: []string{"play", "-m", "training_facility_1", "-p", "baseline::0.5"}, code: 2,
			stderr: []string{"proportions are for evaluations"}},
		{name: "missing mission", args: []string{"play", "-p", "baseline"}, code: 2,
			stderr: []string{"-m MISSION is required"}},
		{name: "missing policy", args: []string{"play", "-m", "training_facility_1"}, code: 2,
			stderr: []string{"-p POLICY is required (one of", "baseline"}},
		{name: "bad render", args: []string{"play", "-m", "training_facility_1", "-p", "noop", "--render", "gif"}, code: 2,
			stderr: []string{`--render "gif": want text or none`}},
		{name: "bad seed", args: []string{"play", "-m", "training_facility_1", "-p", "noop", "--seed", "-3"}, code: 2,
			stderr: []string{`--seed "-3"`}},
		{name: "negative steps", args: []string{"play", "-m", "training_facility_1", "-p", "noop", "--steps", "-1"}, code: 2,
			stderr: []string{"--steps -1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.notStdout {
				if strings.Contains(out, s) {
					t.Errorf("stdout has %q", s)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
		})
	}
}

func TestPlaySameSeedSameOutput(t *testing.T) {
	args := []string{"play", "-m", "assembler_2", "-p", "baseline", "--seed", "4", "--steps", "200"}
	_, a, _ := runCLI(t, args...)
	_, b, _ := runCLI(t, args...)
	if a != b || a == "" {
		t.Fatal("two plays of the same seed printed different output")
	}
}

func TestPlayInterrupted(t *testing.T) {
	sig := make(chan os.Signal, 1)
	sig <- os.Interrupt
	var out, errb bytes.Buffer
	code := Main(&State{Stdout: &out, Stderr: &errb, Interrupt: sig},
		[]string{"play", "-m", "machina_1.open_world", "-p", "baseline", "--render", "none"})
	if code != ExitCancelled {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", code, ExitCancelled, errb.String())
	}
	if !strings.Contains(errb.String(), "episode seed 0 stopped at step") {
		t.Errorf("stderr does not say where the episode stopped:\n%s", errb.String())
	}
}
