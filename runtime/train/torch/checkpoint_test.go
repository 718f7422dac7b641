package torch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/sim/policy"
)

func writeTest(t testing.TB, class string, hidden int) string {
	t.Helper()
	cfg, err := DefaultConfig(class, hidden)
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Init(3)
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := WriteCheckpoint(dir, &Checkpoint{Config: cfg, Params: w, AdamAvg: w, AdamAvgSq: w, AdamStep: 5, Trainer: []byte(`{"update":1}`)}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckpointRoundTrip(t *testing.T) {
	dir := writeTest(t, "lstm", 8)
	for _, p := range []string{dir, filepath.Join(dir, "manifest.json")} {
		ck, err := ReadCheckpoint(p)
		if err != nil {
			t.Fatal(err)
		}
		want := ck.Config.Init(3)
		if ck.Config.Class() != "lstm" || ck.Config.Hidden != 8 || len(ck.Params) != len(want) || ck.AdamStep != 5 || strings.Join(strings.Fields(string(ck.Trainer)), "") != `{"update":1}` {
			t.Fatalf("read back %+v", ck.Config)
		}
		for i := range want {
			if ck.Params[i] != want[i] || ck.AdamAvgSq[i] != want[i] {
				t.Fatalf("value %d differs", i)
			}
		}
	}
	// No temporary directory is left behind.
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("parent holds %d entries, want 1", len(entries))
	}
}

func TestCheckpointErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(dir string) error
		want  string
	}{
		{"corrupted", func(d string) error {
			p := filepath.Join(d, "weights.bin")
			b, _ := os.ReadFile(p)
			b[10] ^= 0xff
			return os.WriteFile(p, b, 0o644)
		}, "weights.bin is corrupted: sha256"},
		{"truncated", func(d string) error {
			p := filepath.Join(d, "optimizer.bin")
			b, _ := os.ReadFile(p)
			return os.WriteFile(p, b[:len(b)/2], 0o644)
		}, "optimizer.bin is truncated or altered"},
		{"missing file", func(d string) error { return os.Remove(filepath.Join(d, "weights.bin")) }, "weights.bin is missing"},
		{"no manifest", func(d string) error { return os.Remove(filepath.Join(d, "manifest.json")) }, "no readable manifest.json"},
		{"bad manifest", func(d string) error {
			return os.WriteFile(filepath.Join(d, "manifest.json"), []byte("{"), 0o644)
		}, "manifest.json is corrupted"},
		{"other format", func(d string) error {
			return os.WriteFile(filepath.Join(d, "manifest.json"), []byte(`{"format":"zip","version":1}`), 0o644)
		}, "not a dafscript checkpoint manifest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTest(t, "stateless", 8)
			if err := tc.spoil(dir); err != nil {
				t.Fatal(err)
			}
			_, err := ReadCheckpoint(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), dir) {
				t.Errorf("error %v, want %q naming %s", err, tc.want, dir)
			}
		})
	}
	if _, err := ReadCheckpoint("/nonexistent/ckpt"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing checkpoint: %v", err)
	}
}

// TestPolicyMismatch: a checkpoint loaded as the wrong class or size.
func TestPolicyMismatch(t *testing.T) {
	dir := writeTest(t, "stateless", 8)
	for _, tc := range []struct {
		spec policy.Spec
		want string
	}{
		{policy.Spec{Class: "lstm", Data: dir}, "holds a stateless policy, not lstm"},
		{policy.Spec{Class: "stateless", Data: dir, Kwargs: map[string]any{"hidden_size": int64(16)}}, "has hidden size 8, not 16"},
		{policy.Spec{Class: "stateless", Data: dir, Kwargs: map[string]any{"greedyy": true}}, `unknown keyword argument "greedyy" (did you mean greedy?)`},
		{policy.Spec{Class: "stateless", Data: dir, Kwargs: map[string]any{"device": "tpu"}}, `unknown device "tpu"`},
	} {
		_, err := policy.New(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.spec, err, tc.want)
		}
	}
}

// A file that is not a checkpoint used to get an error about its folder
// ("checkpoint .: no readable manifest.json", "checkpoint /etc: ...");
// errors now name the path as given and say that a checkpoint is a folder.
func TestCheckpointPathAsGiven(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "ckpt.pt")
	if err := os.WriteFile(garbage, []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	ck := writeTest(t, "stateless", 8)
	for _, tc := range []struct {
		path, want string
	}{
		{"ckpt.pt", "checkpoint ckpt.pt: is a file, but a checkpoint is a folder written by daf.train"},
		{garbage, "checkpoint " + garbage + ": is a file, but a checkpoint is a folder"},
		{"/etc/passwd", "checkpoint /etc/passwd: is a file, but a checkpoint is a folder"},
		{dir, "checkpoint " + dir + ": no readable manifest.json: a checkpoint is a folder"},
	} {
		_, err := ReadCheckpoint(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadCheckpoint(%q) = %v, want %q", tc.path, err, tc.want)
		}
	}
	// A file inside a checkpoint stands for the checkpoint.
	if got, err := ReadCheckpoint(filepath.Join(ck, "weights.bin")); err != nil || got.Dir != ck {
		t.Errorf("ReadCheckpoint(weights.bin) = %v, %v; want the checkpoint %s", got, err, ck)
	}
	// Through the policy loader, as daf.policy("lstm", data_path="ckpt.pt") and -p lstm:ckpt.pt reach it.
	if _, err := policy.New(policy.Spec{Class: "lstm", Data: "ckpt.pt"}); err == nil || !strings.Contains(err.Error(), "checkpoint ckpt.pt: is a file") {
		t.Errorf("policy with a garbage checkpoint: %v", err)
	}
}

// FuzzCheckpointManifest reads arbitrary manifest.json and state.json
// texts: every one ends in a checkpoint or an error naming the path,
// never a panic or an allocation the manifest asks for.
func FuzzCheckpointManifest(f *testing.F) {
	good := writeTest(f, "stateless", 8)
	man, _ := os.ReadFile(filepath.Join(good, "manifest.json"))
	state, _ := os.ReadFile(filepath.Join(good, "state.json"))
	f.Add(man, state)
	f.Add([]byte(`{"format":"dafscript-checkpoint","version":1,"files":[{"name":"weights.bin","bytes":99999999999999}]}`), state)
	f.Add([]byte(`{"format":"dafscript-checkpoint","version":1,"files":[{"name":"../x","bytes":1}]}`), state)
	f.Add([]byte(strings.Repeat("[", 100000)), state)
	f.Fuzz(func(t *testing.T, man, state []byte) {
		dir := t.TempDir()
		for name, b := range map[string][]byte{"manifest.json": man, "state.json": state, "weights.bin": make([]byte, 16)} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, err := ReadCheckpoint(dir)
		if err != nil && !strings.Contains(err.Error(), dir) {
			t.Fatalf("error does not name the checkpoint: %v", err)
		}
	})
}
