package builtins

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckEnvironment(t *testing.T) {
	dir := t.TempDir()
	_, out := mustExec(t, &Env{OutDir: dir, Version: "v9"}, `
r = daf.check_environment(missions=["training_facility_1", daf.mission("training_facility_2")])
print(r.is_healthy(), r.healthy, type(r), r.device == daf.recommended_device())
names = [c.name for c in r.checks]
print("cpu" in names, "disk" in names, "output dir" in names, "missions" in names)
print([c.detail for c in r.checks if c.name == "dafscript"])
print([c.status for c in r.checks if c.name == "missions"], r.errors)
enc = json.decode(json.encode(r))
print(sorted(enc.keys()))
bad = daf.check_environment(missions="traning_facility_1")
print(bad.is_healthy(), len(bad.errors), bad.recommendations)
print(bad.errors[0])
`)
	want := `True True EnvironmentCheck True
True True True True
["v9"]
["ok"] []
["checks", "device", "errors", "healthy", "recommendations", "warnings"]
False 1 ["fix the mission names (dafscript missions lists them)"]
mission traning_facility_1: unknown mission "traning_facility_1" (did you mean training_facility_1`
	if !strings.HasPrefix(out, want) {
		t.Errorf("got\n%s\nwant prefix\n%s", out, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the check left files in the output folder: %v", entries)
	}
	// A missing output folder is not created.
	missing := filepath.Join(dir, "a", "b")
	mustExec(t, &Env{OutDir: missing}, `assert_ok = daf.check_environment(missions=[]).checks`)
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("check created %s", missing)
	}
	for _, tc := range []struct{ src, err string }{
		{`daf.check_environment(missions=[3])`, `daf.check_environment: missions[0]: got int, want a mission name`},
		{`daf.check_environment(mission="x")`, `daf.check_environment: unexpected keyword argument "mission" (did you mean missions?)`},
		{`daf.check_environment().is_healthy(1)`, `EnvironmentCheck.is_healthy: got 1 arguments, want at most 0`},
		{`daf.recommended_device(1)`, `daf.recommended_device: got 1 arguments, want at most 0`},
	} {
		t.Run(tc.src, func(t *testing.T) { wantErr(t, tc.src, tc.err) })
	}
}
