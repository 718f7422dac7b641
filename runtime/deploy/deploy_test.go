package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/pkg"
	"github.com/dafscript/dafscript/sim/policy"
)

func writePkg(t *testing.T, class, version string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), class+"-"+version+".dafpkg")
	if _, err := pkg.Write(context.Background(), nil, pkg.Options{Policy: policy.Spec{Class: class}, Name: "agent", Version: version, Out: out}); err != nil {
		t.Fatal(err)
	}
	return out
}

func f(x float64) *float64 { return &x }

// gate settings short enough for a unit test, long enough for the
// baseline to score.
func gate(pkgPath string) ValidateOptions {
	return ValidateOptions{Package: pkgPath, Missions: []string{"training_facility_1"}, Episodes: 3, Seed: 1, MaxSteps: 600, Jobs: 1}
}

func TestValidate(t *testing.T) {
	base := writePkg(t, "baseline", "1")
	noop := writePkg(t, "noop", "1")
	tampered := filepath.Join(t.TempDir(), "t.dafpkg")
	b, _ := os.ReadFile(base)
	b[len(b)/2] ^= 0xff
	os.WriteFile(tampered, b, 0o644)

	type want struct {
		passed bool
		checks string // name=pass|fail, in order
		reason string
	}
	tests := []struct {
		name string
		o    ValidateOptions
		want want
	}{
		{"package only", ValidateOptions{Package: base}, want{true, "hashes=pass loads=pass", ""}},
		{"tampered", ValidateOptions{Package: tampered}, want{false, "hashes=fail", "hashes: package"}},
		{"missing", ValidateOptions{Package: filepath.Join(t.TempDir(), "none.dafpkg")}, want{false, "hashes=fail", "no such file"}},
		{"baseline meets 0", func() ValidateOptions { o := gate(base); o.MinReward = f(0); return o }(),
			want{true, "hashes=pass loads=pass plays=pass min_reward=pass", ""}},
		{"threshold missed", func() ValidateOptions { o := gate(noop); o.MinReward = f(0.5); return o }(),
			want{false, "hashes=pass loads=pass plays=pass min_reward=fail", "below the minimum 0.5"}},
		{"baseline not worse than noop", func() ValidateOptions { o := gate(base); o.Against = "noop"; return o }(),
			want{true, "hashes=pass loads=pass plays=pass not_worse=pass", ""}},
		{"noop worse than baseline", func() ValidateOptions { o := gate(noop); o.Against = "baseline"; return o }(),
			want{false, "hashes=pass loads=pass plays=pass not_worse=fail", "significantly worse"}},
		{"same policy", func() ValidateOptions { o := gate(base); o.Against = "baseline"; return o }(),
			want{true, "hashes=pass loads=pass plays=pass not_worse=pass", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Validate(context.Background(), nil, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			var checks []string
			for _, c := range r.Checks {
				s := "fail"
				if c.Passed {
					s = "pass"
				}
				checks = append(checks, c.Name+"="+s)
			}
			if got := strings.Join(checks, " "); got != tc.want.checks || r.Passed != tc.want.passed {
				t.Errorf("passed %v checks %s, want %v %s (reasons %v)", r.Passed, got, tc.want.passed, tc.want.checks, r.Reasons)
			}
			if tc.want.reason != "" && !strings.Contains(strings.Join(r.Reasons, "\n"), tc.want.reason) {
				t.Errorf("reasons %v, want one containing %q", r.Reasons, tc.want.reason)
			}
			if _, err := json.Marshal(r); err != nil {
				t.Errorf("json: %v", err)
			}
		})
	}
	// Deterministic: the same options give the same result.
	o := gate(base)
	o.Against = "noop"
	a, _ := Validate(context.Background(), nil, o)
	o.Jobs = 2
	b2, _ := Validate(context.Background(), nil, o)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b2)
	if string(ja) != string(jb) {
		t.Errorf("results differ with jobs:\n%s\n%s", ja, jb)
	}
}

func TestValidateOptionsCheck(t *testing.T) {
	tests := []struct {
		o    ValidateOptions
		want string
	}{
		{ValidateOptions{}, "no .dafpkg"},
		{ValidateOptions{Package: "a", Alpha: 2}, "alpha must be in (0, 1)"},
		{ValidateOptions{Package: "a", MinReward: f(1)}, "need missions"},
		{ValidateOptions{Package: "a", Missions: []string{"training_facility_9"}, Episodes: 1}, "training_facility"},
		{ValidateOptions{Package: "a", Missions: []string{"training_facility_1"}}, "episodes must be >= 1"},
		{ValidateOptions{Package: "a", Missions: []string{"training_facility_1"}, Episodes: 1, Against: "baseline"}, "at least 2 episodes"},
		{ValidateOptions{Package: "a", Missions: []string{"training_facility_1"}, Episodes: 2, Against: "a:b:c:d"}, "against:"},
	}
	for _, tc := range tests {
		err := tc.o.Check()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.want)
		}
	}
}

func TestDeployGate(t *testing.T) {
	ctx := context.Background()
	reg := filepath.Join(t.TempDir(), "reg")
	base := writePkg(t, "baseline", "1")
	noop := writePkg(t, "noop", "2")

	o := Options{Package: base, Registry: reg, Gate: gate(base)}
	o.Gate.MinReward = f(0)
	res, err := Deploy(ctx, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Name != "agent" || res.Version != "1" || res.Forced || !res.Validation.Passed {
		t.Errorf("deploy: %+v", res)
	}
	// A failing package is refused, and the registry keeps version 1.
	o = Options{Package: noop, Registry: reg, Gate: gate(noop)}
	o.Gate.Against = "baseline"
	_, err = Deploy(ctx, nil, o)
	var ge *GateError
	if !errors.As(err, &ge) || !strings.Contains(err.Error(), "force=True") {
		t.Fatalf("deploy of a failing package: %v", err)
	}
	l, _ := List(ctx, reg)
	if len(l.Policies) != 1 || l.Policies[0].Current != "1" || len(l.Policies[0].Versions) != 1 {
		t.Errorf("after refusal: %+v", l)
	}
	// Forced, it goes in.
	o.Force = true
	if res, err = Deploy(ctx, nil, o); err != nil || !res.Forced || res.Current.Version != "2" {
		t.Fatalf("forced: %+v %v", res, err)
	}
	// A tampered package is refused even with force.
	b, _ := os.ReadFile(base)
	b[len(b)/2] ^= 0xff
	bad := filepath.Join(t.TempDir(), "bad.dafpkg")
	os.WriteFile(bad, b, 0o644)
	if _, err := Deploy(ctx, nil, Options{Package: bad, Registry: reg, Force: true}); !errors.As(err, &ge) {
		t.Errorf("tampered, forced: %v", err)
	}
	p, err := Rollback(ctx, nil, RollbackOptions{Registry: reg, Name: "agent"})
	if err != nil || p.Current.Version != "1" {
		t.Errorf("rollback: %v %v", p, err)
	}
	if _, err := Rollback(ctx, nil, RollbackOptions{Registry: reg, Name: "other"}); err == nil || !strings.Contains(err.Error(), "deployed: agent") {
		t.Errorf("rollback unknown: %v", err)
	}
	if _, err := List(ctx, t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a registry") {
		t.Errorf("list of a plain folder: %v", err)
	}
}

// Through the operation, the results are recorded in a deployment
// session; the registry is the folder given, outside the session, or
// out/registry when none is given.
func TestDeployOperationRecordsInSession(t *testing.T) {
	out := t.TempDir()
	base := writePkg(t, "baseline", "1")
	for _, tc := range []struct {
		name, reg, want string
	}{
		{"given", filepath.Join(t.TempDir(), "reg"), ""},
		{"default", "", filepath.Join(out, "registry")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.reg
			if want == "" {
				want = tc.want
			}
			r := &op.Run{Out: out, Jobs: 1, Info: output.RunInfo{Version: "test"}}
			res, dir, err := op.Do(r, DeployOperation, op.Call[Options]{Options: Options{Package: base, Registry: tc.reg}})
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Dir(filepath.Dir(dir)) != out || filepath.Base(filepath.Dir(dir)) != Folder {
				t.Errorf("session %s, want one under %s/%s", dir, out, Folder)
			}
			var got Result
			b, err := os.ReadFile(filepath.Join(dir, "deploy.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &got); err != nil || got.SHA256 != res.SHA256 || got.Current.Version != "1" || got.Registry != want {
				t.Errorf("deploy.json: %s (%v), want registry %s", b, err, want)
			}
			if _, err := os.Stat(filepath.Join(dir, "validation.json")); err != nil {
				t.Error(err)
			}
			if _, err := os.Stat(filepath.Join(want, "agent", "current")); err != nil {
				t.Errorf("registry not written: %v", err)
			}
		})
	}
}

// A package written with no path goes into its session folder, named
// NAME-VERSION.dafpkg, and the session manifest records its hash; the
// code version is the run's.
func TestPackageOperationWritesIntoSession(t *testing.T) {
	out := t.TempDir()
	r := &op.Run{Out: out, Jobs: 1, Info: output.RunInfo{Version: "dafscript 9.9"}}
	res, dir, err := op.Do(r, PackageOperation, op.Call[pkg.Options]{Options: pkg.Options{Policy: policy.Spec{Class: "baseline"}, Name: "agent", Version: "2"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "agent-2.dafpkg"); res.Path != want {
		t.Errorf("path %s, want %s", res.Path, want)
	}
	if res.Manifest.CodeVersion != "dafscript 9.9" {
		t.Errorf("code version %q", res.Manifest.CodeVersion)
	}
	b, err := os.ReadFile(filepath.Join(dir, output.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var man output.Manifest
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range man.Files {
		if f.Name == "agent-2.dafpkg" && f.SHA256 == res.SHA256 {
			found = true
		}
	}
	if !found {
		t.Errorf("manifest does not record agent-2.dafpkg with sha256 %s: %+v", res.SHA256, man.Files)
	}
	// Without a session and without a path there is nowhere to write.
	if _, err := pkg.Write(context.Background(), nil, pkg.Options{Policy: policy.Spec{Class: "baseline"}, Name: "agent", Version: "2"}); err == nil || !strings.Contains(err.Error(), "no output path") {
		t.Errorf("no path, no session: %v", err)
	}
}

// A usage error of a rollback opens no session.
func TestRollbackOperationChecksFirst(t *testing.T) {
	out := t.TempDir()
	r := &op.Run{Out: out, Jobs: 1}
	_, dir, err := op.Do(r, RollbackOperation, op.Call[RollbackOptions]{Options: RollbackOptions{Name: "../x"}})
	if op.KindOf(err) != op.Usage || dir != "" {
		t.Fatalf("bad name: %v (kind %d), session %q", err, op.KindOf(err), dir)
	}
	if _, err := os.Stat(filepath.Join(out, Folder)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a session folder was made: %v", err)
	}
}

func TestMain(m *testing.M) {
	pkg.Register()
	os.Exit(m.Run())
}
