package builtins

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzPlainData: any JSON document survives Go -> Starlark -> Go, and
// json.encode of the Starlark value decodes to the same document.
func FuzzPlainData(f *testing.F) {
	for _, s := range []string{`null`, `{"b": [1, 2.5, "x"], "a": {"c": null, "d": true}}`, `[[], {}, "é\u0000"]`, `1e300`, `-0.0`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var x any
		if json.Unmarshal(data, &x) != nil {
			return
		}
		v, err := ToStarlark(x)
		if err != nil {
			t.Fatalf("ToStarlark(%s): %v", data, err)
		}
		back, err := FromStarlark(v)
		if err != nil {
			t.Fatalf("FromStarlark(%s): %v", v, err)
		}
		if diff := cmp.Diff(x, back); diff != "" {
			t.Fatalf("round trip of %s: -want +got\n%s", data, diff)
		}
		enc, err := EncodeJSON(v)
		if err != nil {
			t.Fatalf("EncodeJSON(%s): %v", v, err)
		}
		var y any
		if err := json.Unmarshal([]byte(enc), &y); err != nil {
			t.Fatalf("json.encode wrote %s: %v", enc, err)
		}
		if diff := cmp.Diff(x, y); diff != "" {
			t.Fatalf("json.encode of %s: -want +got\n%s", data, diff)
		}
	})
}
