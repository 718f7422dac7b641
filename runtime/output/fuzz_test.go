package output

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzManifest reads arbitrary manifest.json texts the way sessions and
// show do: a manifest or an error naming the file, never a panic.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(`{"operation":"comparisons","session":"20260131_142501","status":"done","files":[{"name":"a.json","sha256":"00","size":1}]}`))
	f.Add([]byte(`{"status":"running","pid":-1,"host":""}`))
	f.Add([]byte(strings.Repeat(`{"args":`, 20000)))
	f.Add([]byte(`{"files":[{"name":"../../etc/passwd","size":1},{"name":"/dev/zero","size":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		root := t.TempDir()
		dir := filepath.Join(root, "comparisons", "20260131_142501")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ManifestName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		all, err := NewManager(root).Sessions()
		if err != nil && !strings.Contains(err.Error(), ManifestName) {
			t.Fatalf("error does not name the manifest: %v", err)
		}
		for _, s := range all {
			s.Manifest.Stale()
			for _, p := range Verify(s.Dir, s.Manifest) {
				_ = p
			}
		}
	})
}
