package registry

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dafscript/dafscript/runtime/pkg"
	"github.com/dafscript/dafscript/sim/policy"
)

func makePkg(t testing.TB, name, version string) ([]byte, *pkg.Manifest) {
	t.Helper()
	b, m, err := pkg.Build(pkg.Options{Policy: policy.Spec{Class: "noop"}, Name: name, Version: version})
	if err != nil {
		t.Fatal(err)
	}
	return b, m
}

func TestInstallRollbackList(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reg")
	if _, err := Open(dir, false); err == nil || !strings.Contains(err.Error(), "no such folder") {
		t.Fatalf("open missing: %v", err)
	}
	r, err := Open(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Current("p"); err == nil || !strings.Contains(err.Error(), "registry is empty") {
		t.Errorf("current of nothing: %v", err)
	}
	for _, v := range []string{"1", "2", "3"} {
		b, m := makePkg(t, "p", v)
		if _, err := r.Install(b, m); err != nil {
			t.Fatal(err)
		}
	}
	b, m := makePkg(t, "q", "1.0")
	r.Install(b, m)
	// The same bytes again: only the pointer (unchanged here).
	if p, err := r.Install(b, m); err != nil || p.Version != "1.0" {
		t.Errorf("reinstall: %v %v", p, err)
	}
	// Different bytes under an existing version: refused.
	b2, _, _ := pkg.Build(pkg.Options{Policy: policy.Spec{Class: "random"}, Name: "q", Version: "1.0"})
	if _, err := r.Install(b2, m); err == nil || !strings.Contains(err.Error(), "versions never change") {
		t.Errorf("overwrite: %v", err)
	}
	list, err := r.List()
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(list)
	want := "[{p 3 [2 1] [1 2 3]} {q 1.0 [] [1.0]}]"
	if got != want {
		t.Errorf("list = %s, want %s", got, want)
	}
	for _, want := range []string{"2", "1"} {
		p, err := r.Rollback("p")
		if err != nil || p.Version != want {
			t.Fatalf("rollback: %v %v, want %s", p, err, want)
		}
	}
	if _, err := r.Rollback("p"); err == nil || !strings.Contains(err.Error(), "no version before 1") {
		t.Errorf("rollback past the first: %v", err)
	}
	path, _, err := r.CurrentPath("p")
	if err != nil {
		t.Fatal(err)
	}
	if pk, err := pkg.Open(path); err != nil || pk.Manifest.Version != "1" {
		t.Errorf("current package: %v", err)
	}
	// Deploying a version again after a rollback makes it current.
	b3, m3 := makePkg(t, "p", "3")
	if p, err := r.Install(b3, m3); err != nil || p.Version != "3" || fmt.Sprint(p.History) != "[1]" {
		t.Errorf("redeploy: %+v %v", p, err)
	}
}

func TestNotARegistry(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	for _, create := range []bool{false, true} {
		if _, err := Open(dir, create); err == nil || !strings.Contains(err.Error(), "not a registry") {
			t.Errorf("create=%v: %v", create, err)
		}
	}
	os.WriteFile(filepath.Join(dir, markerName), []byte(`{"format":"dafscript-registry","version":9}`), 0o644)
	if _, err := Open(dir, false); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("newer: %v", err)
	}
}

// The crash test: a child process (this test binary, re-executed) deploys
// version 2 over version 1 and is killed with SIGKILL at each stage of the
// install, or after a random delay while deploying in a loop. After every
// kill the registry must open, point at a complete version whose package
// verifies, and accept the next deploy.
const (
	envDir   = "DAF_REGISTRY_CRASH_DIR"
	envStage = "DAF_REGISTRY_CRASH_STAGE"
)

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(envDir)
	if dir == "" {
		t.Skip("run by TestKillDuringDeploy")
	}
	stage := os.Getenv(envStage)
	r, err := Open(dir, true)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	hook = func(s string) {
		if s == stage {
			fmt.Println("AT", s)
			time.Sleep(time.Hour)
		}
	}
	fmt.Println("READY")
	for i := 2; ; i++ {
		b, m := makePkg(t, "p", strconv.Itoa(i))
		if _, err := r.Install(b, m); err != nil {
			fmt.Println("ERR", err)
			os.Exit(2)
		}
	}
}

func TestKillDuringDeploy(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	cases := []string{"version-half-written", "version-written", "version-renamed", "current-switched"}
	for i := 0; i < 4; i++ {
		cases = append(cases, "delay:"+strconv.Itoa(i*7))
	}
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "reg")
			r, err := Open(dir, true)
			if err != nil {
				t.Fatal(err)
			}
			b, m := makePkg(t, "p", "1")
			if _, err := r.Install(b, m); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
			cmd.Env = append(os.Environ(), envDir+"="+dir, envStage+"="+c)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(out)
			want := "AT " + c
			if strings.HasPrefix(c, "delay:") {
				want = "READY"
			}
			seen := false
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "ERR") {
					t.Fatalf("child: %s", sc.Text())
				}
				if sc.Text() == want {
					seen = true
					break
				}
			}
			if !seen {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("child never reached %q", want)
			}
			if ms, ok := strings.CutPrefix(c, "delay:"); ok {
				d, _ := strconv.Atoi(ms)
				time.Sleep(time.Duration(d) * time.Millisecond)
			}
			cmd.Process.Kill() // SIGKILL
			cmd.Wait()

			r, err = Open(dir, false)
			if err != nil {
				t.Fatal(err)
			}
			p, err := r.Current("p")
			if err != nil {
				t.Fatal(err)
			}
			pk, err := pkg.Open(r.PackagePath("p", p.Version))
			if err != nil {
				t.Fatalf("current %s does not verify: %v", p.Version, err)
			}
			if pk.Manifest.Version != p.Version {
				t.Errorf("pointer says %s, package is %s", p.Version, pk.Manifest.Version)
			}
			switch c {
			case "version-half-written", "version-written", "version-renamed":
				if p.Version != "1" {
					t.Errorf("killed at %s: current is %s, want 1", c, p.Version)
				}
			case "current-switched":
				if p.Version != "2" {
					t.Errorf("killed after the switch: current is %s, want 2", p.Version)
				}
			}
			vs, _ := r.Versions("p")
			for _, v := range vs {
				if _, err := pkg.Open(r.PackagePath("p", v)); err != nil {
					t.Errorf("listed version %s is incomplete: %v", v, err)
				}
			}
			// The next deploy works and clears what the kill left.
			b, m = makePkg(t, "p", "100")
			if _, err := r.Install(b, m); err != nil {
				t.Fatal(err)
			}
			ents, _ := os.ReadDir(filepath.Join(dir, "p", versionsDir))
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), ".tmp-") {
					t.Errorf("temporary folder %s left", e.Name())
				}
			}
			if bytes.Contains([]byte(fmt.Sprint(vs)), []byte(".tmp")) {
				t.Errorf("versions list temporaries: %v", vs)
			}
		})
	}
}
