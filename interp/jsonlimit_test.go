package interp

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

// A deeply nested document used to end the process with a Go stack
// overflow (exit 2, hundreds of lines of Go stack); now it is a call error.
func TestJSONDecodeDepth(t *testing.T) {
	for _, tc := range []struct {
		name, src, wantErr string
	}{
		{"open brackets", `json.decode("[" * 2000000)`, "json.decode: nesting deeper than 1000 levels at byte 1000"},
		{"open objects", `json.decode('{"a":' * 5000)`, "json.decode: nesting deeper than 1000 levels"},
		{"at the limit", `x = json.decode("[" * 1000 + "]" * 1000)`, ""},
		{"brackets in strings do not count", `x = json.decode('["' + "[" * 5000 + '"]')`, ""},
		{"escaped quote keeps the string open", `x = json.decode('["\\"' + "[" * 5000 + '"]')`, ""},
		{"default is not used for depth", `json.decode("[" * 2000, default = 1)`, "nesting deeper than 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := New(Config{WorkDir: t.TempDir()})
			_, err := h.ExecSource(context.Background(), "x.star", []byte(tc.src))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// FuzzJSONDecode feeds arbitrary text to json.decode through the host:
// every input ends in a value or an error, never a crash.
func FuzzJSONDecode(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2.5, null]}`, `[[[[]]]]`, `"\"["`, strings.Repeat("[", 1001), `{"a":{"b":{"c":[]}}}`, `[1,]`, `"\ud800"`} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, doc string) {
		h := New(Config{WorkDir: dir, Predeclared: starlark.StringDict{"doc": starlark.String(doc)}})
		_, err := h.ExecSource(context.Background(), "fuzz.star", []byte("x = json.decode(doc)\ny = json.decode(doc, default = None)"))
		var ie *InternalError
		if errors.As(err, &ie) {
			t.Fatalf("panic on %q: %v", doc, ie.Value)
		}
		if err != nil && !strings.Contains(err.Error(), "json.decode") {
			t.Fatalf("error does not name json.decode: %v", err)
		}
	})
}
