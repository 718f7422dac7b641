package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/train/torch"
)

// TestTrainInitFrom: a checkpoint trained on one mission starts a new run
// on another, from the CLI (--init-from) and from a script (init_from=),
// and both results say where the weights came from.
func TestTrainInitFrom(t *testing.T) {
	if !torch.Available {
		t.Skip("no libtorch backend in this build")
	}
	dir := t.TempDir()
	small := []string{"-p", "stateless", "--steps", "128", "--device", "cpu", "--hp", "hidden_size=16", "--hp", "num_envs=2", "--hp", "threads=1", "--format", "json"}
	train := func(args ...string) map[string]any {
		t.Helper()
		st, out, errs := testState(dir)
		if code := Main(st, append(append([]string{"train"}, args...), small...)); code != ExitOK {
			t.Fatalf("dafscript train %v: exit code %d; stderr:\n%s", args, code, errs)
		}
		var res map[string]any
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("dafscript train %v: %v\n%s", args, err, out)
		}
		return res
	}
	first := train("-m", "training_facility_1", "--seed", "3")
	ck, _ := first["final_checkpoint"].(string)
	if ck == "" {
		t.Fatalf("no final checkpoint in %v", first)
	}
	tuned := train("-m", "assembler_2", "--init-from", ck)
	if tuned["init_from"] != ck {
		t.Errorf("CLI: init_from %v, want %s", tuned["init_from"], ck)
	}
	script := `r = daf.train("assembler_2", policy="stateless", steps=128, device="cpu", init_from=CK,
    hyperparameters={"hidden_size": 16, "num_envs": 2, "threads": 1})
if r.init_from != CK:
    fail("init_from: " + r.init_from)
`
	script = strings.ReplaceAll(script, "CK", `"`+ck+`"`)
	if err := os.WriteFile(filepath.Join(dir, "s.star"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _, errs := testState(dir)
	if code := Main(st, []string{"-q", "s.star"}); code != ExitOK {
		t.Fatalf("script: exit code %d; stderr:\n%s", code, errs)
	}
}
