package builtins

import (
	"errors"
	"testing"

	"github.com/dafscript/dafscript/interp"
	"github.com/dafscript/dafscript/runtime/op"
)

// A failed threshold is a regression wherever it surfaces: through
// starlark's EvalError op.KindOf finds op.Regression (a script run exits
// with 3), and the test runner finds the Failure with its position.
func TestFailedThresholdIsARegression(t *testing.T) {
	env := &Env{Seed: 1, OutDir: t.TempDir(), Jobs: 1}
	_, _, err := exec(t, env, `
r = daf.evaluate("noop", "training_facility_1", episodes = 2, seed = 1, max_steps = 50)
r.check("reward.mean > 0")
`)
	if err == nil {
		t.Fatal("a failed threshold returned no error")
	}
	if k := op.KindOf(err); k != op.Regression {
		t.Errorf("kind %v, want op.Regression; error: %v", k, err)
	}
	if code := op.ExitCode(err); code != 3 {
		t.Errorf("exit code %d, want 3", code)
	}
	var f interp.Failure
	if !errors.As(err, &f) {
		t.Fatalf("%v is not an interp.Failure", err)
	}
	if pos, msg := f.Failure(); pos.Line != 3 || msg == "" {
		t.Errorf("failure at %v (%q), want line 3 with a message", pos, msg)
	}
}
