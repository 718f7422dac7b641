package interp

import (
	"context"
	"errors"
	"testing"
	"time"
)

// FuzzRun feeds arbitrary source to the host: every input must end in a
// result or an error, never a Go panic, and never run past the step limit.
func FuzzRun(f *testing.F) {
	for _, s := range []string{
		"",
		"x = 1",
		"print(1 + 2)",
		"def f(x):\n    return x * 2\nf(3)",
		"while True:\n    pass",
		"for i in range(10):\n    x = i",
		"load('@daf/text.star', 'mean')\nmean([1, 2])",
		"load('a.star', 'b')",
		"s = set([1, 2])\ns.union([3])",
		"json.decode('{\"a\": [1, 2.5, null]}')",
		"struct(a = 1).a",
		"time.now()",
		"math.sqrt(-1)",
		"x = [1, 2,",
		"def f(n):\n    return f(n)\nf(1)",
		"help(json)",
		"d = {}\nd[[]] = 1",
		"'%d' % 'x'",
		"1 // 0",
		"fail('boom')",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		h := New(Config{MaxSteps: 100_000, WorkDir: t.TempDir()})
		globals, err := h.ExecSource(ctx, "fuzz.star", []byte(src))
		if ctx.Err() != nil {
			t.Fatalf("ran for 20s despite the step limit: %q", src)
		}
		var ie *InternalError
		if errors.As(err, &ie) {
			t.Fatalf("panic on %q: %v\n%s", src, ie.Value, ie.Stack)
		}
		if err == nil && globals == nil {
			t.Fatalf("neither a result nor an error for %q", src)
		}
		if err != nil {
			_ = h.FormatError(err) // must not panic either
		}
	})
}
