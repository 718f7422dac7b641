package jobs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/sim/mission"
)

func base() Spec {
	return Spec{Kind: "episode", Mission: &Mission{Name: "m", Variants: []string{"a"}, ConfigHash: "c"},
		Policies: []Policy{{Class: "lstm", Data: "w.pt", WeightsHash: "h", Kwargs: map[string]any{"b": 1, "a": "x"}, Proportion: 1}},
		Seed:     7, Steps: 100, CodeVersion: "sha256:v"}
}

// The encoding is pinned: a change to it would orphan every cache entry.
func TestCanonicalPinned(t *testing.T) {
	b, err := Canonical(base())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"code_version":"sha256:v","kind":"episode","mission":{"config_hash":"c","name":"m","variants":["a"]},"policies":[{"class":"lstm","data":"w.pt","kwargs":{"a":"x","b":1},"proportion":1,"weights_hash":"h"}],"seed":7,"steps":100}`
	if string(b) != want {
		t.Fatalf("canonical JSON\n%s\nwant\n%s", b, want)
	}
	k, _ := KeyOf(base())
	if len(k) != 64 || strings.Trim(string(k), "0123456789abcdef") != "" {
		t.Fatalf("key %q", k)
	}
}

func TestKeyChangesWithEveryField(t *testing.T) {
	k0, err := KeyOf(base())
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(*Spec){
		"kind":     func(s *Spec) { s.Kind = "trial" },
		"mission":  func(s *Spec) { s.Mission.Name = "n" },
		"variants": func(s *Spec) { s.Mission.Variants = []string{"b"} },
		"config":   func(s *Spec) { s.Mission.ConfigHash = "d" },
		"weights":  func(s *Spec) { s.Policies[0].WeightsHash = "i" },
		"kwargs":   func(s *Spec) { s.Policies[0].Kwargs["b"] = 2 },
		"share":    func(s *Spec) { s.Policies[0].Proportion = 0.5 },
		"seed":     func(s *Spec) { s.Seed = 8 },
		"steps":    func(s *Spec) { s.Steps = 99 },
		"version":  func(s *Spec) { s.CodeVersion = "sha256:w" },
		"extra":    func(s *Spec) { s.Extra = map[string]int{"lr": 1} },
	}
	for name, change := range cases {
		s := base()
		change(&s)
		if k, err := KeyOf(s); err != nil || k == k0 {
			t.Errorf("%s: key %s unchanged (%v)", name, k, err)
		}
	}
	if k, _ := KeyOf(base()); k != k0 {
		t.Error("key not stable")
	}
	for _, bad := range []Spec{{CodeVersion: "v"}, {Kind: "episode"}} {
		if _, err := KeyOf(bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestHashPath(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "a")
	os.WriteFile(f, []byte("x"), 0o644)
	h1, err := HashPath(f)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(f, []byte("y"), 0o644)
	if h2, _ := HashPath(f); h2 == h1 {
		t.Error("file hash unchanged")
	}
	d1, _ := HashPath(dir)
	os.WriteFile(filepath.Join(dir, "b"), nil, 0o644)
	if d2, _ := HashPath(dir); d2 == d1 {
		t.Error("folder hash unchanged by a new file")
	}
	if _, err := HashPath(filepath.Join(dir, "none")); err == nil || !strings.Contains(err.Error(), "none") {
		t.Errorf("error %v", err)
	}
}

func TestMissionOfAndCodeVersion(t *testing.T) {
	a, _ := mission.Get("training_facility_1")
	b, _ := mission.Get("training_facility_1:easy")
	ia, err := MissionOf(a)
	if err != nil {
		t.Fatal(err)
	}
	ib, _ := MissionOf(b)
	if ia.ConfigHash == ib.ConfigHash || len(ib.Variants) == 0 {
		t.Errorf("a variant does not change the mission's identity: %+v %+v", ia, ib)
	}
	v, err := CodeVersion()
	if err != nil || !(strings.HasPrefix(v, "sha256:") && len(v) == 71 || strings.HasPrefix(v, "go-build:")) {
		t.Fatalf("code version %q, %v", v, err)
	}
}

// The build ID read from the executable is the one `go tool buildid`
// prints; a file that is not ELF has none (its hash is used instead).
func TestGoBuildID(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "buildid", exe).Output()
	if err != nil {
		t.Skipf("go tool buildid: %v", err)
	}
	want := strings.TrimSpace(string(out))
	if got := goBuildID(exe); got != want {
		t.Fatalf("goBuildID = %q, go tool buildid says %q", got, want)
	}
	if v, _ := CodeVersion(); want != "" && v != "go-build:"+want {
		t.Fatalf("CodeVersion = %q, want go-build:%s", v, want)
	}
	notELF := filepath.Join(t.TempDir(), "script.sh")
	os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755)
	if got := goBuildID(notELF); got != "" {
		t.Fatalf("goBuildID of a shell script = %q, want none", got)
	}
}
