package interp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// writeFiles creates files (name -> content) under a new directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestExecFile(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		main    string
		root    string // relative to the directory; "" = the main script's
		cfg     Config
		wantOut string
		wantErr string // substring of FormatError; "" = success
	}{
		{
			name:    "print",
			files:   map[string]string{"main.star": `print("hello", 1 + 2)`},
			wantOut: "hello 3\n",
		},
		{
			name: "load relative to the loading file, executed once",
			files: map[string]string{
				"main.star":       "load('lib/a.star', 'a')\nload('lib/b.star', 'b')\nprint(a, b)",
				"lib/a.star":      "load('common.star', 'c')\na = c + 1",
				"lib/b.star":      "load('common.star', 'c')\nb = c + 2",
				"lib/common.star": "print('common loaded')\nc = 10",
			},
			wantOut: "common loaded\n11 12\n",
		},
		{
			name:    "stdlib module",
			files:   map[string]string{"main.star": "load('@daf/text.star', 'mean', 'fixed', 'ljust', 'rjust')\nprint(mean([1, 2, 3, 6]), fixed(2/3, 3), fixed(-0.004, 2), fixed(7, 0), '[' + ljust('ab', 4) + rjust(1, 3) + ']')"},
			wantOut: "3.0 0.667 0.00 7 [ab    1]\n",
		},
		{
			name:    "unknown stdlib module",
			files:   map[string]string{"main.star": "load('@daf/nope.star', 'x')"},
			wantErr: `load("@daf/nope.star"): no such library module; available: default.star, pipelines.star, text.star`,
		},
		{
			name: "cycle shows the chain",
			files: map[string]string{
				"main.star": "load('a.star', 'a')",
				"a.star":    "load('b.star', 'b')\na = 1",
				"b.star":    "load('a.star', 'a')\nb = 1",
			},
			wantErr: "load cycle: a.star -> b.star -> a.star",
		},
		{
			name: "cycle through the main script",
			files: map[string]string{
				"main.star": "load('a.star', 'a')",
				"a.star":    "load('main.star', 'x')\na = 1",
			},
			wantErr: "load cycle: main.star -> a.star -> main.star",
		},
		{
			name: "load outside the root is refused",
			files: map[string]string{
				"scripts/main.star": "load('../secret.star', 'x')",
				"secret.star":       "x = 1",
			},
			main:    "scripts/main.star",
			wantErr: "is outside the script's root directory",
		},
		{
			name:    "load needs .star",
			files:   map[string]string{"main.star": "load('a.txt', 'x')"},
			wantErr: `module names end in .star`,
		},
		{
			name:    "missing module",
			files:   map[string]string{"main.star": "load('gone.star', 'x')"},
			wantErr: "gone.star: no such file",
		},
		{
			name:    "syntax error has position, line and caret",
			files:   map[string]string{"main.star": "x = 1\ny = (2 +\n"},
			wantErr: "main.star:3:1: got end of file, want primary expression",
		},
		{
			name:    "resolve error",
			files:   map[string]string{"main.star": "print(undefined_name)"},
			wantErr: "main.star:1:7: undefined: undefined_name\n  1 | print(undefined_name)\n    |       ^",
		},
		{
			name:    "runtime error has a backtrace and the line",
			files:   map[string]string{"main.star": "def f(x):\n    return x // 0\n\nf(1)\n"},
			wantErr: "Traceback (most recent call last):\n  main.star:4:2: in <toplevel>\n  main.star:2:14: in f\nError: floored division by zero\n  2 |     return x // 0\n    |              ^",
		},
		{
			name:    "error in a loaded file shows where it was loaded from",
			files:   map[string]string{"main.star": "load('a.star', 'a')", "a.star": "a = 1 // 0"},
			wantErr: "a.star:1:7: in <toplevel>\nError: floored division by zero\n  1 | a = 1 // 0\n    |       ^\nloaded from:\n  main.star:1:1: in <toplevel>",
		},
		{
			name:    "clock off by default",
			files:   map[string]string{"main.star": "time.now()"},
			wantErr: "run with --allow-clock",
		},
		{
			name:    "clock allowed",
			files:   map[string]string{"main.star": "print(type(time.now()))"},
			cfg:     Config{AllowClock: true},
			wantOut: "time.time\n",
		},
		{
			name:    "step limit",
			files:   map[string]string{"main.star": "while True:\n    pass\n"},
			cfg:     Config{MaxSteps: 1000},
			wantErr: "too many steps (the limit is 1000; raise it with --max-steps)",
		},
		{
			name:    "recursion is refused",
			files:   map[string]string{"main.star": "def f(n):\n    return f(n - 1)\nf(3)\n"},
			wantErr: "called recursively",
		},
		{
			name:    "top-level control, set and reassignment",
			files:   map[string]string{"main.star": "s = set([3, 1, 3])\nx = 0\nfor v in s:\n    x += v\nx = x * 2\nprint(x, sorted(s))"},
			wantOut: "8 [1, 3]\n",
		},
		{
			name:    "struct, json and math are predeclared",
			files:   map[string]string{"main.star": "s = struct(a = 1)\nprint(json.encode(s), math.sqrt(16))"},
			wantOut: "{\"a\":1} 4.0\n",
		},
		{
			name:    "loaded globals are frozen",
			files:   map[string]string{"main.star": "load('a.star', 'xs')\nxs.append(1)", "a.star": "xs = []"},
			wantErr: "cannot append to frozen list",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			main := tc.main
			if main == "" {
				main = "main.star"
			}
			var out bytes.Buffer
			cfg := tc.cfg
			cfg.Stdout = &out
			cfg.WorkDir = filepath.Join(dir, filepath.Dir(main))
			h := New(cfg)
			_, err := h.ExecFile(context.Background(), filepath.Join(dir, main))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error:\n%s", h.FormatError(err))
				}
			} else {
				if err == nil {
					t.Fatalf("no error, want %q", tc.wantErr)
				}
				if got := h.FormatError(err); !strings.Contains(got, tc.wantErr) {
					t.Fatalf("error:\n%s\nwant it to contain:\n%s", got, tc.wantErr)
				}
			}
			if out.String() != tc.wantOut {
				t.Errorf("output %q, want %q", out.String(), tc.wantOut)
			}
		})
	}
}

func TestSymlinkCannotLeaveRoot(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"root/main.star": "load('link.star', 'x')",
		"outside.star":   "x = 1",
	})
	if err := os.Symlink(filepath.Join(dir, "outside.star"), filepath.Join(dir, "root/link.star")); err != nil {
		t.Skip(err)
	}
	h := New(Config{})
	_, err := h.ExecFile(context.Background(), filepath.Join(dir, "root/main.star"))
	if err == nil || !strings.Contains(err.Error(), "outside the script's root") {
		t.Fatalf("got %v, want a refusal", err)
	}
}

func TestCancel(t *testing.T) {
	dir := writeFiles(t, map[string]string{"main.star": "while True:\n    pass\n"})
	ctx, cancel := context.WithCancel(context.Background())
	h := New(Config{})
	done := make(chan error)
	go func() {
		_, err := h.ExecFile(ctx, filepath.Join(dir, "main.star"))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !Cancelled(err) {
			t.Fatalf("got %v, want a cancellation", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the script did not stop after cancel")
	}
}

func TestPanicInBuiltinIsAnError(t *testing.T) {
	boom := starlark.NewBuiltin("boom", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		panic("kaboom")
	})
	h := New(Config{Predeclared: starlark.StringDict{"boom": boom}})
	_, err := h.ExecSource(context.Background(), "p.star", []byte("boom()"))
	var ie *InternalError
	if !errors.As(err, &ie) {
		t.Fatalf("got %v, want an InternalError", err)
	}
	if !strings.Contains(h.FormatError(err), "internal error while running p.star: kaboom") {
		t.Fatalf("message: %s", h.FormatError(err))
	}
}

func TestHelp(t *testing.T) {
	doc := starlark.NewBuiltin("daf.thing", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return starlark.None, nil
	})
	var out bytes.Buffer
	h := New(Config{
		Stdout: &out,
		Docs:   map[string]string{"daf.thing": "daf.thing(x)\n\nDoes the thing."},
	})
	h.predeclared["thing"] = doc
	src := "help(thing)\ndef f(a, b):\n    \"\"\"Adds.\"\"\"\n    return a + b\nhelp(f)\n"
	if _, err := h.ExecSource(context.Background(), "h.star", []byte(src)); err != nil {
		t.Fatal(h.FormatError(err))
	}
	want := "daf.thing(x)\n\nDoes the thing.\nf(a, b)\n\nAdds.\n"
	if out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

func TestCompleter(t *testing.T) {
	h := New(Config{})
	c := &Completer{Globals: starlark.StringDict{"mission_name": starlark.String("x")}, Predeclared: h.Predeclared()}
	tests := []struct {
		line string
		want []string
		n    int
	}{
		{"missi", []string{"on_name"}, 5},
		{"print(json.enc", []string{"ode", "ode_indent"}, 3},
		{"math.sq", []string{"rt"}, 2},
		{"nosuch.x", nil, 0},
	}
	for _, tc := range tests {
		got, n := c.Do([]rune(tc.line), len([]rune(tc.line)))
		var gs []string
		for _, g := range got {
			gs = append(gs, string(g))
		}
		if strings.Join(gs, ",") != strings.Join(tc.want, ",") || n != tc.n {
			t.Errorf("%q: got %q, %d; want %q, %d", tc.line, gs, n, tc.want, tc.n)
		}
	}
}

func TestREPLPlain(t *testing.T) {
	var out, errs bytes.Buffer
	h := New(Config{Stdout: &out, WorkDir: t.TempDir()})
	in := NewPlainReader(strings.NewReader("x = 2\nx * 21\ndef f(a):\n    return a + 1\n\nf(x)\n1 // 0\n[1,\n 2]\n_\nfor i in range(2):\n    print(i)"))
	if err := h.REPL(context.Background(), in, REPLOptions{Stderr: &errs}); err != nil {
		t.Fatal(err)
	}
	if want := "42\n3\n[1, 2]\n[1, 2]\n0\n1\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
	if !strings.Contains(errs.String(), "Error: floored division by zero") {
		t.Errorf("stderr %q", errs.String())
	}
}

// TestPipelinesChainsDaf runs @daf/pipelines.star against a stand-in daf
// module whose episode reward is a function of the seed: the helpers must
// call it once per (mission, policy, seed) and rank by mean reward.
func TestPipelinesChainsDaf(t *testing.T) {
	var calls []string
	episode := starlark.NewBuiltin("daf.episode", func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var mission, policy string
		var seed int
		var maxSteps starlark.Value
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "mission", &mission, "policy", &policy, "seed", &seed, "max_steps?", &maxSteps); err != nil {
			return nil, err
		}
		calls = append(calls, fmt.Sprintf("%s/%s/%d", mission, policy, seed))
		reward := float64(seed)
		if policy == "good" {
			reward += 10
		}
		return starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{
			"reward":           starlark.Float(reward),
			"hearts_deposited": starlark.Float(seed % 2),
		}), nil
	})
	daf := &starlarkstruct.Module{Name: "daf", Members: starlark.StringDict{"episode": episode}}
	var out bytes.Buffer
	h := New(Config{Stdout: &out, Predeclared: starlark.StringDict{"daf": daf}, WorkDir: t.TempDir()})
	src := `load("@daf/pipelines.star", "episode_sweep", "leaderboard", "format_leaderboard")
s = episode_sweep("m1", "bad", [1, 2, 3])
print(s.rewards, s.mean_reward, s.hearts)
print(format_leaderboard(leaderboard(["bad", "good"], "m1", range(2))))
`
	if _, err := h.ExecSource(context.Background(), "p.star", []byte(src)); err != nil {
		t.Fatal(h.FormatError(err))
	}
	want := "[1.0, 2.0, 3.0] 2.0 [1.0, 0.0, 1.0]\nm1\n  1. good         reward 10.500  hearts 0.50\n  2. bad          reward 0.500  hearts 0.50\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	wantCalls := "m1/bad/1 m1/bad/2 m1/bad/3 m1/bad/0 m1/bad/1 m1/good/0 m1/good/1"
	if got := strings.Join(calls, " "); got != wantCalls {
		t.Errorf("calls %s, want %s", got, wantCalls)
	}
}
