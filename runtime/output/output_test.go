package output

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func fixedClock(times ...time.Time) func() time.Time {
	i := 0
	return func() time.Time {
		t := times[min(i, len(times)-1)]
		i++
		return t
	}
}

var t0 = time.Date(2026, 1, 31, 14, 25, 1, 0, time.UTC)

func TestSessionIDSuffix(t *testing.T) {
	tests := []struct {
		name  string
		op    []string
		times []time.Time
		want  []string
	}{
		{"distinct seconds", []string{"comparisons", "comparisons"}, []time.Time{t0, t0.Add(time.Second)}, []string{"20260131_142501", "20260131_142502"}},
		{"same second", []string{"comparisons", "comparisons", "comparisons"}, []time.Time{t0, t0.Add(300 * time.Millisecond), t0.Add(900 * time.Millisecond)}, []string{"20260131_142501", "20260131_142501_2", "20260131_142501_3"}},
		{"other operation no suffix", []string{"comparisons", "training"}, []time.Time{t0, t0}, []string{"20260131_142501", "20260131_142501"}},
		{"local time is stored as UTC", []string{"sweeps"}, []time.Time{t0.In(time.FixedZone("X", 3600))}, []string{"20260131_142501"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewManager(t.TempDir())
			for i, op := range tc.op {
				m.Clock = fixedClock(tc.times[i])
				s, err := m.NewSession(op, RunInfo{})
				if err != nil {
					t.Fatal(err)
				}
				if s.ID() != tc.want[i] {
					t.Errorf("session %d: id %q, want %q", i, s.ID(), tc.want[i])
				}
				if want := filepath.Join(m.Root(), op, tc.want[i]); s.Dir() != want {
					t.Errorf("dir %q, want %q", s.Dir(), want)
				}
			}
		})
	}
}

func TestLayoutAndManifest(t *testing.T) {
	root := t.TempDir()
	m := NewManager(root)
	m.Clock = fixedClock(t0, t0.Add(90*time.Second))
	info := RunInfo{
		Version: "1.2.3", ScriptPath: "exp/compare.star", ScriptSHA256: strings.Repeat("ab", 32),
		Vars: map[string]string{"episodes": "10", "mission": "training_facility_1"},
		Seed: 42, Args: map[string]any{"episodes": 10, "policies": []string{"baseline", "random"}},
	}
	s, err := m.NewSession("comparisons", info)
	if err != nil {
		t.Fatal(err)
	}
	man, err := ReadManifest(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if man.Status != StatusRunning || man.EndTime != nil {
		t.Fatalf("new session: status %q end %v, want running and no end time", man.Status, man.EndTime)
	}

	p, err := s.WriteJSON("results.json", map[string]int{"b": 2, "a": 1})
	if err != nil {
		t.Fatal(err)
	}
	if p != filepath.Join(root, "comparisons", "20260131_142501", "results.json") {
		t.Errorf("path %q", p)
	}
	if _, err := s.WriteFile("plots/a.svg", []byte("<svg/>")); err != nil {
		t.Fatal(err)
	}
	stream := []byte("{\"step\":1}\n{\"step\":2}\n")
	if err := os.WriteFile(s.Path("curve.jsonl"), stream, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Track("curve.jsonl"); err != nil {
		t.Fatal(err)
	}
	// Writing a file twice keeps one entry with the new hash.
	if _, err := s.WriteFile("plots/a.svg", []byte("<svg></svg>")); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(StatusDone); err != nil {
		t.Fatal(err)
	}

	man, err = ReadManifest(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	results, _ := os.ReadFile(p)
	if string(results) != "{\n  \"a\": 1,\n  \"b\": 2\n}\n" {
		t.Errorf("results.json = %q", results)
	}
	sum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	end := t0.Add(90 * time.Second)
	want := &Manifest{
		DafscriptVersion: "1.2.3", Operation: "comparisons", Session: "20260131_142501",
		ScriptPath: "exp/compare.star", ScriptSHA256: strings.Repeat("ab", 32),
		Vars: map[string]string{"episodes": "10", "mission": "training_facility_1"},
		Seed: 42, Args: map[string]any{"episodes": float64(10), "policies": []any{"baseline", "random"}},
		StartTime: t0, EndTime: &end, Status: StatusDone,
		Host: man.Host, PID: os.Getpid(),
		Files: []FileEntry{
			{Name: "curve.jsonl", SHA256: sum(stream), Size: int64(len(stream))},
			{Name: "plots/a.svg", SHA256: sum([]byte("<svg></svg>")), Size: 11},
			{Name: "results.json", SHA256: sum(results), Size: int64(len(results))},
		},
	}
	if d := cmp.Diff(want, man); d != "" {
		t.Errorf("manifest (-want +got):\n%s", d)
	}
	if probs := Verify(s.Dir(), man); len(probs) != 0 {
		t.Errorf("Verify: %v", probs)
	}
	os.WriteFile(p, []byte("{}"), 0o644)
	if probs := Verify(s.Dir(), man); len(probs) != 1 || !strings.HasPrefix(probs[0], "results.json: changed") {
		t.Errorf("Verify after change: %v", probs)
	}
	if err := s.Finish(StatusDone); err == nil {
		t.Error("second Finish: no error")
	}
	// The manifest's JSON keys are the documented snake_case names.
	raw, _ := os.ReadFile(filepath.Join(s.Dir(), ManifestName))
	for _, k := range []string{"dafscript_version", "script_path", "script_sha256", "vars", "seed", "args", "start_time", "end_time", "status", "files"} {
		if !bytes.Contains(raw, []byte(`"`+k+`"`)) {
			t.Errorf("manifest has no %q key", k)
		}
	}
}

func TestSessionErrors(t *testing.T) {
	m := NewManager(t.TempDir())
	if _, err := m.NewSession("comparison", RunInfo{}); err == nil || !strings.Contains(err.Error(), "comparisons") {
		t.Errorf("unknown operation: %v", err)
	}
	if _, err := m.NewSession("sweeps", RunInfo{Args: map[string]any{"f": func() {}}}); err == nil {
		t.Error("unencodable args: no error")
	}
	s, err := m.NewSession("sweeps", RunInfo{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "../x.json", "/abs.json", "manifest.json", "a/../../b"} {
		if _, err := s.WriteFile(name, nil); err == nil {
			t.Errorf("WriteFile(%q): no error", name)
		}
	}
	if err := s.Track("never_written.pt"); err != nil {
		t.Fatal(err)
	}
	err = s.FinishWithError(StatusFailed, errors.New("episode 3 (seed 99): boom"))
	if err == nil || !strings.Contains(err.Error(), "never_written.pt") {
		t.Errorf("Finish with missing tracked file: %v", err)
	}
	man, _ := ReadManifest(s.Dir())
	if man.Status != StatusFailed || man.Error != "episode 3 (seed 99): boom" || len(man.Files) != 0 {
		t.Errorf("manifest after failure: %+v", man)
	}
	if err := s.Finish("running"); err == nil {
		t.Error("Finish(running): no error")
	}
}

func TestSessionsAndFind(t *testing.T) {
	m := NewManager(t.TempDir())
	m.Clock = fixedClock(t0)
	a, _ := m.NewSession("comparisons", RunInfo{})
	b, _ := m.NewSession("training", RunInfo{})
	m.Clock = fixedClock(t0.Add(time.Hour))
	c, _ := m.NewSession("comparisons", RunInfo{})
	c.Finish(StatusDone)
	os.MkdirAll(filepath.Join(m.Root(), "reports", "not_a_session"), 0o755)

	all, err := m.Sessions()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range all {
		got = append(got, s.Ref())
	}
	want := []string{"comparisons/" + a.ID(), "training/" + b.ID(), "comparisons/" + c.ID()}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Sessions (-want +got):\n%s", d)
	}
	if s, err := m.Find(c.ID()); err != nil || s.Dir != c.Dir() {
		t.Errorf("Find(%s) = %v, %v", c.ID(), s.Dir, err)
	}
	if _, err := m.Find(a.ID()); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("Find ambiguous: %v", err)
	}
	if s, err := m.Find("training/" + b.ID()); err != nil || s.Dir != b.Dir() {
		t.Errorf("Find qualified: %v %v", s.Dir, err)
	}
	if s, err := m.Find(b.Dir()); err != nil || s.Operation != "training" {
		t.Errorf("Find by folder: %v %v", s, err)
	}
	if _, err := m.Find("20990101_000000"); err == nil || !strings.Contains(err.Error(), "latest: comparisons/"+c.ID()) {
		t.Errorf("Find unknown: %v", err)
	}
}

func TestNewLogPath(t *testing.T) {
	m := NewManager(t.TempDir())
	m.Clock = fixedClock(t0)
	p1, id1, err := m.NewLogPath()
	if err != nil {
		t.Fatal(err)
	}
	p2, id2, err := m.NewLogPath()
	if err != nil {
		t.Fatal(err)
	}
	if id1 != "20260131_142501" || id2 != "20260131_142501_2" {
		t.Errorf("ids %q %q", id1, id2)
	}
	if filepath.Base(p2) != "daf_20260131_142501_2.log" || filepath.Base(filepath.Dir(p1)) != "logs" {
		t.Errorf("paths %q %q", p1, p2)
	}
}

func TestStale(t *testing.T) {
	host, _ := os.Hostname()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	tests := []struct {
		m    Manifest
		want bool
	}{
		{Manifest{Status: StatusRunning, Host: host, PID: os.Getpid()}, false},
		{Manifest{Status: StatusRunning, Host: host, PID: dead}, true},
		{Manifest{Status: StatusDone, Host: host, PID: dead}, false},
		{Manifest{Status: StatusRunning, Host: host + "-other", PID: dead}, false},
	}
	for i, tc := range tests {
		if got := tc.m.Stale(); got != tc.want {
			t.Errorf("%d: Stale() = %v, want %v", i, got, tc.want)
		}
	}
}

// The child side of TestAtomicWriteSurvivesKill: rewrite one large file
// forever, each generation filled with its own byte pattern.
func init() {
	path := os.Getenv("DAF_OUTPUT_TEST_WRITER")
	if path == "" {
		return
	}
	for gen := 0; ; gen++ {
		if err := WriteFileAtomic(path, generation(gen), 0o644); err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(3)
		}
		os.Stdout.WriteString(strconv.Itoa(gen) + "\n") // tells the parent a generation is on disk
	}
}

const genSize = 8 << 20

// generation returns genSize bytes: an 8-byte header holding gen, then the
// byte gen%251 repeated, so a torn or mixed file is detectable.
func generation(gen int) []byte {
	b := bytes.Repeat([]byte{byte(gen % 251)}, genSize)
	copy(b, []byte(strconv.Itoa(gen%10000000) + "        ")[:8])
	return b
}

// TestAtomicWriteSurvivesKill kills a writer with SIGKILL in the middle of
// rewriting a large file, at several moments (before the first rename, and
// after one or more complete generations) and checks that the file is
// absent or one complete generation, never a torn one.
func TestAtomicWriteSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	tests := []struct {
		after int           // complete generations to wait for before the kill
		delay time.Duration // then this long, to land inside a write
	}{
		{0, 0}, {1, 0}, {1, 2 * time.Millisecond}, {2, 5 * time.Millisecond}, {3, 11 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("after%d+%v", tc.after, tc.delay), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "big.bin")
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "DAF_OUTPUT_TEST_WRITER="+path)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(stdout)
			for i := 0; i < tc.after; i++ {
				if !lines.Scan() {
					t.Fatalf("writer stopped: %s", stderr.String())
				}
			}
			time.Sleep(tc.delay)
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			go io.Copy(io.Discard, stdout)
			err = cmd.Wait()
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
				t.Fatalf("writer was not killed: %v %s", err, stderr.String())
			}
			data, err := os.ReadFile(path)
			if errors.Is(err, os.ErrNotExist) {
				if tc.after > 0 {
					t.Fatalf("file gone after %d complete generations", tc.after)
				}
				return // killed before the first rename: no file, fine
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(data) != genSize {
				t.Fatalf("torn file: %d bytes, want %d", len(data), genSize)
			}
			gen, err := strconv.Atoi(strings.TrimSpace(string(data[:8])))
			if err != nil {
				t.Fatalf("bad header %q", data[:8])
			}
			if gen < tc.after-1 {
				t.Fatalf("generation %d on disk, but %d were reported complete", gen, tc.after)
			}
			if !bytes.Equal(data, generation(gen)) {
				t.Fatalf("generation %d content mixed with another", gen)
			}
			t.Logf("generation %d intact", gen)
		})
	}
}

func TestWriteFileAtomicReplaces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	for _, content := range []string{"one", "two, longer", "3"} {
		if err := WriteFileAtomic(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(p)
		if string(got) != content {
			t.Errorf("got %q want %q", got, content)
		}
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("perm %v", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temp files left: %v", entries)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "f"), nil, 0o644); err == nil {
		t.Error("write into a missing folder: no error")
	}
}

// Sessions opened at once in the same second all get their own folder.
func TestConcurrentSessions(t *testing.T) {
	m := NewManager(t.TempDir())
	m.Clock = func() time.Time { return t0 }
	const n = 8
	ids := make(chan string, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			s, err := m.NewSession("evaluations", RunInfo{})
			if err != nil {
				errs <- err
				return
			}
			ids <- s.ID()
		}()
	}
	seen := map[string]bool{}
	for range n {
		select {
		case err := <-errs:
			t.Fatal(err)
		case id := <-ids:
			if seen[id] {
				t.Errorf("id %s given twice", id)
			}
			seen[id] = true
		}
	}
	for i := 1; i <= n; i++ {
		id := "20260131_142501"
		if i > 1 {
			id += "_" + strconv.Itoa(i)
		}
		if !seen[id] {
			t.Errorf("ids %v lack %s", seen, id)
		}
	}
}
