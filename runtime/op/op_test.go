package op

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dafscript/dafscript/runtime/output"
)

type squareOptions struct{ N int }

func (o squareOptions) Check() error {
	if o.N < 0 {
		return errors.New("n: want 0 or more")
	}
	return nil
}

var square = Spec[squareOptions, int]{
	Name: "square", Folder: "evaluations", File: "square.json",
	Body: func(r *Run, _ *output.Session, o squareOptions) (int, error) {
		bar := r.Progress(1, "steps")
		bar.Add(1)
		if err := r.Context().Err(); err != nil {
			return 0, err
		}
		return o.N * o.N, nil
	},
}

func manifest(t *testing.T, dir string) output.Manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, output.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m output.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDo(t *testing.T) {
	root := t.TempDir()
	r := &Run{Out: root, Jobs: 1}
	got, dir, err := Do(r, square, Call[squareOptions]{Options: squareOptions{N: 7}, Seed: 3, Args: map[string]any{"n": 7}})
	if err != nil || got != 49 {
		t.Fatalf("Do = %d, %v", got, err)
	}
	m := manifest(t, dir)
	if m.Status != output.StatusDone || m.Seed != 3 || len(m.Files) != 1 || m.Files[0].Name != "square.json" {
		t.Errorf("manifest %+v", m)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "square.json")); string(data) != "49\n" {
		t.Errorf("square.json = %q", data)
	}

	// A bad option is a usage error and opens no session.
	if _, dir, err := Do(r, square, Call[squareOptions]{Options: squareOptions{N: -1}}); ExitCode(err) != 2 || dir != "" {
		t.Errorf("bad options: dir %q, err %v (exit %d)", dir, err, ExitCode(err))
	}
	if _, _, err := Do(&Run{Out: root}, square, Call[squareOptions]{}); ExitCode(err) != 2 {
		t.Errorf("jobs 0: err %v", err)
	}

	// A cancelled (or timed out) run finishes its session cancelled.
	for _, cancel := range []func() (context.Context, context.CancelFunc){
		func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
		func() (context.Context, context.CancelFunc) { return context.WithTimeout(context.Background(), 0) },
	} {
		ctx, stop := cancel()
		stop()
		_, dir, err := Do(&Run{Ctx: ctx, Out: root, Jobs: 1}, square, Call[squareOptions]{Options: squareOptions{N: 2}})
		if ExitCode(err) != 130 {
			t.Errorf("cancelled: err %v", err)
		}
		if m := manifest(t, dir); m.Status != output.StatusCancelled || m.Error == "" {
			t.Errorf("cancelled session: status %s, error %q", m.Status, m.Error)
		}
	}
}
