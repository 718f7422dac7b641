package output

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveWrite(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	extra := filepath.Join(dir, "extra")
	for _, d := range []string{out, extra, filepath.Join(out, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script := filepath.Join(out, "exp.star")
	if err := os.WriteFile(script, []byte("x = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A link inside the output folder that leads out of it.
	if err := os.Symlink(dir, filepath.Join(out, "up")); err != nil {
		t.Fatal(err)
	}
	rules := WriteRules{Out: out, Allow: []string{extra}, Protected: []string{script}}
	for _, tc := range []struct {
		path, want, wantErr string
	}{
		{path: "r.html", want: filepath.Join(out, "r.html")},
		{path: "new/dir/r.html", want: filepath.Join(out, "new", "dir", "r.html")},
		{path: filepath.Join(out, "r.html"), want: filepath.Join(out, "r.html")},
		{path: filepath.Join(extra, "r.html"), want: filepath.Join(extra, "r.html")},
		{path: "../r.html", wantErr: "is outside the output folder"},
		{path: "/etc/x.html", wantErr: "is outside the output folder"},
		{path: "../../x.html", wantErr: "is outside the output folder"},
		{path: "up/r.html", wantErr: "is outside the output folder"},
		{path: "up/extra/r.html", want: filepath.Join(out, "up", "extra", "r.html")},
		{path: "exp.star", wantErr: "is the script or a file it loaded"},
		{path: "up/out/exp.star", wantErr: "is the script or a file it loaded"},
		{path: "sub", wantErr: "is a directory"},
		{path: "", wantErr: "path is empty"},
	} {
		got, err := ResolveWrite(tc.path, rules)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ResolveWrite(%q) = %q, %v; want an error containing %q", tc.path, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ResolveWrite(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
}
