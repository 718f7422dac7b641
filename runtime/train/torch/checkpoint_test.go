package torch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/sim/policy"
)

func writeTest(t *testing.T, class string, hidden int) string {
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
