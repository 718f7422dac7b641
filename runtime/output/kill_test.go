//go:build unix

package output

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKillHelper is not a test: run by TestKilledWriter in a child
// process, it opens a session and stops for ever just before a rename,
// announcing the temporary on stdout, so that the parent can kill -9 it
// in the middle of a write.
func TestKillHelper(t *testing.T) {
	root, stage := os.Getenv("DAF_KILL_ROOT"), os.Getenv("DAF_KILL_STAGE")
	if root == "" {
		t.Skip("helper process for TestKilledWriter")
	}
	block := func(tmp string) {
		fmt.Printf("ready %s\n", tmp)
		os.Stdout.Sync()
		select {}
	}
	m := NewManager(root)
	if stage == "first-manifest" {
		beforeRename = block
	}
	s, err := m.NewSession("evaluations", RunInfo{Version: "test"})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	beforeRename = block
	s.WriteFile("evaluation.html", []byte(strings.Repeat("<p>half a report</p>\n", 1000)))
	fmt.Println("error: the write finished")
	os.Exit(1)
}

// killedWriter runs the helper for stage under root, kills it with
// SIGKILL once it is inside a write, and returns the temporary it left.
func killedWriter(t *testing.T, root, stage string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "DAF_KILL_ROOT="+root, "DAF_KILL_STAGE="+stage)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ready ") || strings.HasPrefix(sc.Text(), "error") {
				lines <- sc.Text()
				return
			}
		}
		close(lines)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(60 * time.Second):
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
	tmp, ok := strings.CutPrefix(line, "ready ")
	if !ok {
		t.Fatalf("helper did not reach the write: %q", line)
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("the killed writer left no temporary: %v", err)
	}
	return tmp
}

func tempsUnder(t *testing.T, root string) []string {
	var found []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			found = append(found, p)
		}
		return nil
	})
	return found
}

func TestKilledWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	t.Run("half-written file, cleaned by the next run", func(t *testing.T) {
		root := t.TempDir()
		tmp := killedWriter(t, root, "file")
		if !strings.HasPrefix(filepath.Base(tmp), ".evaluation.html.tmp-") {
			t.Fatalf("temporary %s", tmp)
		}
		// The killed session lists as interrupted.
		all, err := NewManager(root).Sessions()
		if err != nil || len(all) != 1 || !all[0].Manifest.Stale() {
			t.Fatalf("sessions = %+v, %v; want one interrupted session", all, err)
		}
		// The next run of the operation removes the debris.
		s, err := NewManager(root).NewSession("evaluations", RunInfo{})
		if err != nil {
			t.Fatal(err)
		}
		s.Finish(StatusDone)
		if left := tempsUnder(t, root); len(left) > 0 {
			t.Fatalf("temporaries left after the next run: %q", left)
		}
	})
	t.Run("session with only a temporary manifest", func(t *testing.T) {
		root := t.TempDir()
		tmp := killedWriter(t, root, "first-manifest")
		dir := filepath.Dir(tmp)
		if _, err := os.Stat(filepath.Join(dir, ManifestName)); err == nil {
			t.Fatal("the killed writer finished its manifest")
		}
		m := NewManager(root)
		all, err := m.Sessions()
		if err != nil || len(all) != 1 {
			t.Fatalf("sessions = %+v, %v; want the killed session listed", all, err)
		}
		if got := all[0]; got.ID != filepath.Base(dir) || !got.Manifest.Stale() {
			t.Fatalf("session %s stale=%v, want %s interrupted", got.ID, got.Manifest.Stale(), filepath.Base(dir))
		}
		if _, err := m.Find(filepath.Base(dir)); err != nil {
			t.Fatalf("show cannot find it: %v", err)
		}
		r, err := m.Repair()
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Removed) != 1 || r.Removed[0] != tmp || len(r.Recovered) != 1 {
			t.Fatalf("Repair = %+v, want %s removed and one session recovered", r, tmp)
		}
		man, err := ReadManifest(dir)
		if err != nil || !man.Stale() || man.Session != filepath.Base(dir) {
			t.Fatalf("recovered manifest %+v, %v", man, err)
		}
		if left := tempsUnder(t, root); len(left) > 0 {
			t.Fatalf("temporaries left after repair: %q", left)
		}
	})
}

// A temporary of a live process, of another host or without a writer in
// its name is never removed.
func TestCleanTempsKeepsLiveWriters(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "."+"a.json"+tempMark+self()+"-1")
	other := filepath.Join(dir, ".b.json"+tempMark+"zzzz.1.0-1")
	old := filepath.Join(dir, ".c.json.tmp-123456")
	dead := filepath.Join(dir, ".d.json"+tempMark+writerID(hostHash(), 1<<30, "0")+"-1")
	for _, p := range []string{mine, other, old, dead} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := CleanTemps(dir)
	if err != nil || len(removed) != 1 || removed[0] != dead {
		t.Fatalf("CleanTemps = %q, %v; want only %s", removed, err, dead)
	}
}
