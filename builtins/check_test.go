package builtins

import (
	"os"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/envcheck"
	"path/filepath"
	"testing"
)

func TestCheckEnvironment(t *testing.T) {
	dir := t.TempDir()
	// The machine's own state decides health; the builtin must agree
	// with the package it wraps.
	want := envcheck.Run(envcheck.Options{OutDir: dir, Version: "v9", Missions: []string{"training_facility_1", "training_facility_2"}})
	var names []string
	for _, c := range want.Checks {
		names = append(names, c.Name)
	}
	g, out := mustExec(t, &Env{OutDir: dir, Version: "v9"}, `
r = daf.check_environment(missions=["training_facility_1", daf.mission("training_facility_2")])
healthy = r.is_healthy()
names = [c.name for c in r.checks]
print(r.healthy == healthy, type(r), r.device == daf.recommended_device())
print("cpu" in names, "disk" in names, "output dir" in names, "missions" in names)
print([c.detail for c in r.checks if c.name == "dafscript"])
print([c.status for c in r.checks if c.name == "missions"], [e for e in r.errors if e.startswith("mission")])
enc = json.decode(json.encode(r))
print(sorted(enc.keys()))
bad = daf.check_environment(missions="traning_facility_1")
print(bad.is_healthy(), [e for e in bad.errors if e.startswith("mission")], "fix the mission names (dafscript missions lists them)" in bad.recommendations)
`)
	if got := bool(g["healthy"].(starlark.Bool)); got != want.Healthy {
		t.Errorf("is_healthy() = %v, envcheck says %v (%q)", got, want.Healthy, want.Errors)
	}
	if got := g["names"].String(); got != listText(names) {
		t.Errorf("checks %s, envcheck has %s", got, listText(names))
	}
	wantOut := `True EnvironmentCheck True
True True True True
["v9"]
["ok"] []
["checks", "device", "errors", "healthy", "recommendations", "warnings"]
False ["mission traning_facility_1: unknown mission \"traning_facility_1\" (did you mean training_facility_1, training_facility_2 or training_facility_3?)"] True
`
	if out != wantOut {
		t.Errorf("got\n%s\nwant\n%s", out, wantOut)
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
