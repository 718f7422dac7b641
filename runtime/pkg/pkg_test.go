package pkg

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/train/torch"
	"github.com/dafscript/dafscript/sim/policy"
)

// tinyCheckpoint writes a checkpoint of a hidden-size-8 network with
// seeded initial weights and a trainer record, as daf.train would.
func tinyCheckpoint(t testing.TB, class string) string {
	return tinyCheckpointSPS(t, class, 9000)
}

// tinyCheckpointSPS is tinyCheckpoint whose training curve measured sps
// agent-steps per second.
func tinyCheckpointSPS(t testing.TB, class string, sps float64) string {
	t.Helper()
	cfg, err := torch.DefaultConfig(class, 8)
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Init(3)
	curve := fmt.Sprintf(`[{"update":1,"step":2048,"reward":0.5,"sps":%g},{"update":2,"step":4096,"reward":0.75,"sps":%g}]`, sps, sps*1.5)
	trainer := json.RawMessage(`{"policy":"` + class + `","missions":["training_facility_1"],"seed":7,"hyperparameters":{"learning_rate":0.0003},"update":2,"step":4096,"episodes":5,"curve":` + curve + `}`)
	dir := filepath.Join(t.TempDir(), "ckpt")
	avg := make([]float32, len(w))
	if err := torch.WriteCheckpoint(dir, &torch.Checkpoint{Config: cfg, Params: w, AdamAvg: avg, AdamAvgSq: avg, AdamStep: 2, Trainer: trainer}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func build(t testing.TB, o Options) []byte {
	t.Helper()
	b, _, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReproducible(t *testing.T) {
	ck := tinyCheckpoint(t, "stateless")
	for _, o := range []Options{
		{Policy: policy.Spec{Class: "baseline"}, Name: "base", Version: "1.0.0", CodeVersion: "test"},
		{Policy: policy.Spec{Class: "stateless", Data: ck, Kwargs: map[string]any{"greedy": true}}, Name: "net", Version: "2", CodeVersion: "test"},
	} {
		a, b := build(t, o), build(t, o)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two builds differ", o.Name)
		}
		// Through a file and a different temp name: same bytes.
		o.Out = filepath.Join(t.TempDir(), "x.dafpkg")
		res, err := Write(context.Background(), nil, o)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := os.ReadFile(res.Path)
		if !bytes.Equal(a, c) {
			t.Errorf("%s: written file differs from Build", o.Name)
		}
		// The gzip header carries no time and no name.
		zr, err := gzip.NewReader(bytes.NewReader(a))
		if err != nil {
			t.Fatal(err)
		}
		if !zr.ModTime.IsZero() || zr.Name != "" {
			t.Errorf("gzip header has time %v name %q", zr.ModTime, zr.Name)
		}
	}
}

// Two trainings with the same options and seed write the same weights
// but measure different speeds: their packages are the same bytes, and
// keep the rest of the curve.
func TestSpeedsLeftOut(t *testing.T) {
	o := Options{Policy: policy.Spec{Class: "stateless", Data: tinyCheckpointSPS(t, "stateless", 9000)}, Name: "net", Version: "1", CodeVersion: "test"}
	a := build(t, o)
	o.Policy.Data = tinyCheckpointSPS(t, "stateless", 43000)
	if b := build(t, o); !bytes.Equal(a, b) {
		t.Error("packages of checkpoints that differ only in their measured speeds differ")
	}
	zr, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatal("no state.json in the package")
		}
		if strings.HasSuffix(h.Name, "state.json") {
			var b bytes.Buffer
			b.ReadFrom(tr)
			if strings.Contains(b.String(), "sps") || !strings.Contains(b.String(), `"reward": 0.75`) {
				t.Errorf("packaged state.json keeps the speeds or lost the curve:\n%s", b.String())
			}
			return
		}
	}
}

func TestRoundTrip(t *testing.T) {
	ck := tinyCheckpoint(t, "lstm")
	data := build(t, Options{Policy: policy.Spec{Class: "lstm", Data: ck}, Name: "net", Version: "1", CodeVersion: "v0.1"})
	p, err := Read(bytes.NewReader(data), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	m := p.Manifest
	if !m.Policy.Neural || !m.Policy.Recurrent || m.Network == nil || m.Network.Hidden != 8 || m.Network.Activation != "tanh" {
		t.Errorf("policy/network = %+v %+v", m.Policy, m.Network)
	}
	if m.Training == nil || m.Training.Steps != 4096 || m.Training.Seed != 7 || m.Training.Missions[0] != "training_facility_1" || m.Training.Hyperparameters["learning_rate"] != 0.0003 {
		t.Errorf("training = %+v", m.Training)
	}
	if m.Observation != GameObs() || m.Action != GameAction() || m.CodeVersion != "v0.1" {
		t.Errorf("specs = %+v %+v %q", m.Observation, m.Action, m.CodeVersion)
	}
	var names []string
	for _, f := range m.Files {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "policy/manifest.json,policy/state.json,policy/weights.bin" {
		t.Errorf("files = %s", got)
	}
	// The packaged checkpoint is one the network code reads, without the
	// optimizer state.
	dir := t.TempDir()
	for _, n := range []string{"manifest.json", "state.json", "weights.bin"} {
		os.WriteFile(filepath.Join(dir, n), p.Files["policy/"+n], 0o644)
	}
	got, err := torch.ReadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := torch.ReadCheckpoint(ck)
	if got.AdamAvg != nil || len(got.Params) != len(orig.Params) || !reflect.DeepEqual(got.Config, orig.Config) {
		t.Errorf("packaged checkpoint: %+v", got.Config)
	}
	for i := range got.Params {
		if got.Params[i] != orig.Params[i] {
			t.Fatalf("weight %d differs", i)
		}
	}

	if want := sha(data); p.SHA256 != want {
		t.Errorf("package sha256 %s, file sha256 %s", p.SHA256, want)
	}
	sp := build(t, Options{Policy: policy.Spec{Class: "baseline"}, Name: "b", Version: "1"})
	p, err = Read(bytes.NewReader(sp), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if p.Manifest.Policy.Neural || len(p.Files) != 0 || p.Manifest.Network != nil {
		t.Errorf("scripted package: %+v", p.Manifest)
	}
	pol, err := p.Policy(nil)
	if err != nil || pol.Name() != "b@1" {
		t.Fatalf("policy %v, %v", pol, err)
	}
}

// archive builds a tar.gz of the given entries, in order.
func archive(t testing.TB, entries ...any) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for i := 0; i < len(entries); i += 2 {
		var hdr *tar.Header
		switch h := entries[i].(type) {
		case string:
			hdr = &tar.Header{Name: h, Mode: 0o644, Typeflag: tar.TypeReg}
		case *tar.Header:
			hdr = h
		}
		b := entries[i+1].([]byte)
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(b))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func manifestJSON(t testing.TB, edit func(m map[string]any)) []byte {
	_, man, err := Build(Options{Policy: policy.Spec{Class: "noop"}, Name: "n", Version: "1"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(man)
	var m map[string]any
	json.Unmarshal(b, &m)
	if edit != nil {
		edit(m)
	}
	b, _ = json.Marshal(m)
	return b
}

func TestBadPackages(t *testing.T) {
	ck := tinyCheckpoint(t, "stateless")
	good := build(t, Options{Policy: policy.Spec{Class: "stateless", Data: ck}, Name: "net", Version: "1"})
	tampered := func() []byte {
		// Rebuild the archive with one weight byte changed.
		p, err := Read(bytes.NewReader(good), DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		zr, _ := gzip.NewReader(bytes.NewReader(good))
		tr := tar.NewReader(zr)
		var ents []any
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			b := make([]byte, h.Size)
			tr.Read(b)
			if h.Name == "policy/weights.bin" {
				b = append([]byte(nil), p.Files[h.Name]...)
				b[10] ^= 1
			}
			ents = append(ents, h.Name, b)
		}
		return archive(t, ents...)
	}()
	withFile := func(name string, b []byte) func(m map[string]any) {
		return func(m map[string]any) {
			m["files"] = []any{map[string]any{"name": name, "bytes": len(b), "sha256": sha(b)}}
		}
	}
	payload := []byte("x")
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", good[:len(good)/2], "truncated"},
		{"truncated tail", good[:len(good)-4], "truncated"},
		{"not gzip", []byte("hello"), "not a gzip file"},
		{"appended", append(append([]byte(nil), good...), "junk"...), "data after the end"},
		{"tampered", tampered, "hash mismatch"},
		{"newer format", archive(t, ManifestName, manifestJSON(t, func(m map[string]any) { m["format_version"] = 2; m["future"] = 1 })), "newer than this dafscript reads"},
		{"not a manifest", archive(t, ManifestName, []byte(`{"format":"other"}`)), "not a dafscript package manifest"},
		{"no manifest", archive(t, "a", payload), "no manifest.json"},
		{"manifest not first", archive(t, "a", payload, ManifestName, manifestJSON(t, withFile("a", payload))), "not the first entry"},
		{"traversal", archive(t, ManifestName, manifestJSON(t, nil), "../evil", payload), "path traversal"},
		{"absolute", archive(t, ManifestName, manifestJSON(t, nil), "/etc/x", payload), "path traversal"},
		{"traversal in manifest", archive(t, ManifestName, manifestJSON(t, withFile("a/../../b", payload))), "path traversal"},
		{"symlink", archive(t, ManifestName, manifestJSON(t, nil), &tar.Header{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}, []byte{}), "not a plain file"},
		{"unlisted", archive(t, ManifestName, manifestJSON(t, nil), "extra", payload), "not listed"},
		{"missing", archive(t, ManifestName, manifestJSON(t, withFile("a", payload))), "archive lacks"},
		{"duplicate", archive(t, ManifestName, manifestJSON(t, withFile("a", payload)), "a", payload, "a", payload), "appears twice"},
		{"wrong game", archive(t, ManifestName, manifestJSON(t, func(m map[string]any) { m["action"] = map[string]any{"count": 5} })), "5 actions"},
		{"unknown field", archive(t, ManifestName, manifestJSON(t, func(m map[string]any) { m["extra"] = 1 })), "unknown field"},
		{"bad name", archive(t, ManifestName, manifestJSON(t, func(m map[string]any) { m["name"] = "../x" })), "name \"../x\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.data), DefaultLimits)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if tc.name == "tampered" && !errors.Is(err, ErrHashMismatch) {
				t.Errorf("tampered: error does not wrap ErrHashMismatch")
			}
		})
	}
}

func TestLimits(t *testing.T) {
	// A gzip bomb: 64 MiB of zeros compresses to ~64 KiB.
	big := make([]byte, 64<<20)
	bomb := archive(t, ManifestName, manifestJSON(t, withBig(big)), "big", big)
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	lim := Limits{MaxEntries: 4, MaxFileBytes: 1 << 20, MaxTotal: 2 << 20}
	if _, err := Read(bytes.NewReader(bomb), lim); err == nil || !strings.Contains(err.Error(), "more than the limit") {
		t.Errorf("bomb: %v", err)
	}
	var ents []any
	ents = append(ents, ManifestName, manifestJSON(t, nil))
	for i := 0; i < 5; i++ {
		ents = append(ents, string(rune('a'+i)), []byte{1})
	}
	if _, err := Read(bytes.NewReader(archive(t, ents...)), lim); err == nil || !strings.Contains(err.Error(), "more than 4 entries") {
		t.Errorf("entries: %v", err)
	}
}

func withBig(b []byte) func(m map[string]any) {
	return func(m map[string]any) {
		m["files"] = []any{map[string]any{"name": "big", "bytes": len(b), "sha256": sha(b)}}
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestUnknownClass(t *testing.T) {
	data := archive(t, ManifestName, manifestJSON(t, func(m map[string]any) {
		m["policy"] = map[string]any{"class": "baselin", "neural": false, "recurrent": false}
	}))
	p, err := Read(bytes.NewReader(data), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Policy(nil)
	var uc *policy.UnknownClassError
	if !errors.As(err, &uc) || !strings.Contains(err.Error(), "did you mean baseline") {
		t.Errorf("error %v", err)
	}
}

func TestOptionsCheck(t *testing.T) {
	tests := []struct {
		o    Options
		want string
	}{
		{Options{Name: "a", Version: "1", Out: "a.dafpkg"}, "class is empty"},
		{Options{Policy: policy.Spec{Class: "noop"}, Name: "a b", Version: "1", Out: "a.dafpkg"}, "name \"a b\""},
		{Options{Policy: policy.Spec{Class: "noop"}, Name: "a", Version: "", Out: "a.dafpkg"}, "version \"\""},
		{Options{Policy: policy.Spec{Class: "noop"}, Name: "a", Version: "1", Out: "a.tgz"}, "ends in .dafpkg"},
		{Options{Policy: policy.Spec{Class: "noop", Kwargs: map[string]any{"x": []int{1}}}, Name: "a", Version: "1", Out: "a.dafpkg"}, "cannot be stored"},
		{Options{Policy: policy.Spec{Class: "noop"}, Name: "a", Version: "1", Out: "a.dafpkg"}, ""},
		{Options{Policy: policy.Spec{Class: "noop"}, Name: "a", Version: "1"}, ""}, // into the session
		{Options{Policy: policy.Spec{Class: "basline"}, Name: "a", Version: "1"}, "did you mean baseline"},
		{Options{Policy: policy.Spec{Class: "baseline", Data: "ck"}, Name: "a", Version: "1"}, "packages as \"stateless\" or \"lstm\""},
	}
	for _, tc := range tests {
		err := tc.o.Check()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: error %v, want %q", tc.o, err, tc.want)
		}
	}
	if _, _, err := Build(Options{Policy: policy.Spec{Class: "stateless", Data: t.TempDir()}, Name: "a", Version: "1"}); err == nil || !strings.Contains(err.Error(), "no readable manifest.json") {
		t.Errorf("not a checkpoint: %v", err)
	}
	ck := tinyCheckpoint(t, "stateless")
	if _, _, err := Build(Options{Policy: policy.Spec{Class: "lstm", Data: ck}, Name: "a", Version: "1"}); err == nil || !strings.Contains(err.Error(), "holds a stateless policy") {
		t.Errorf("class mismatch: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(build(f, Options{Policy: policy.Spec{Class: "baseline"}, Name: "b", Version: "1"}))
	f.Add(archive(f, ManifestName, manifestJSON(f, nil)))
	f.Add([]byte{0x1f, 0x8b})
	lim := Limits{MaxEntries: 8, MaxFileBytes: 1 << 20, MaxTotal: 4 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Read(bytes.NewReader(data), lim)
		if err != nil {
			return
		}
		// What reads must be consistent: every listed file present.
		for _, fl := range p.Manifest.Files {
			if _, ok := p.Files[fl.Name]; !ok {
				t.Fatalf("listed file %q missing", fl.Name)
			}
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	f.Add(manifestJSON(f, nil))
	f.Add([]byte(`{"format":"dafscript-package","format_version":9}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		if m.FormatVersion > FormatVersion || m.Observation != GameObs() {
			t.Fatalf("accepted %+v", m)
		}
	})
}
