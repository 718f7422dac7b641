package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/dafscript/dafscript/runtime/dist/queue"
	"github.com/dafscript/dafscript/runtime/train/torch"
)

// natsServer starts a NATS server with JetStream on a free loopback port,
// as `nats-server -js` would be, and returns its URL.
func natsServer(t *testing.T, token string) string {
	t.Helper()
	srv, err := queue.StartServer(queue.ServerOptions{StoreDir: t.TempDir(), Listen: "127.0.0.1:0", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return srv.ClientURL()
}

// distEnv is the environment of the processes of a test: a cache of
// their own.
func distEnv(t *testing.T) []string {
	return append(os.Environ(), "DAF_CACHE_DIR="+t.TempDir())
}

// runBin runs the built binary in dir and returns its stdout, failing
// the test on a non-zero exit.
func runBin(t *testing.T, bin, dir string, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("dafscript %s: %v\n%s", strings.Join(args, " "), err, errs.String())
	}
	return out.Bytes()
}

// comparisonJSON reads the comparison.json of the one session under out.
func comparisonJSON(t *testing.T, out string) []byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(out, "comparisons", "*", "comparison.json"))
	if err != nil || len(files) != 1 {
		t.Fatalf("comparison.json under %s: %v %v", out, files, err)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Three `dafscript worker` processes serve a `dafscript compare --nats`;
// one is killed with SIGKILL while it holds a job. Nothing is lost: the
// job goes to another worker after the ack wait, and the comparison's
// bytes are those of a local run.
func TestCompareThroughWorkersSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	bin := builtBinary(t)
	dir := t.TempDir()
	env := distEnv(t)
	args := []string{"compare", "-m", "training_facility_1,training_facility_2", "-p", "baseline", "-p", "random",
		"-e", "6", "--seed", "9", "--episode-steps", "400", "--format", "json", "--no-cache"}

	local := runBin(t, bin, dir, env, append(args, "--jobs", "2", "--out", "local")...)
	wantJSON := comparisonJSON(t, filepath.Join(dir, "local"))

	const token = "loopback-test-token"
	url := natsServer(t, token)
	// Watch the workers' events: kill w1 as soon as it has taken a job.
	nc, err := nats.Connect(url, nats.Token(token))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	events := make(chan queue.Event, 1024)
	sub, err := nc.Subscribe("daf.events.>", func(m *nats.Msg) {
		var ev queue.Event
		if json.Unmarshal(m.Data, &ev) == nil {
			events <- ev
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	workers := map[string]*exec.Cmd{}
	var logs sync.Map
	for _, name := range []string{"w1", "w2", "w3"} {
		cmd := exec.Command(bin, "worker", "--nats", url, "--nats-token", token, "--jobs", "1", "--name", name, "--nats-ack-wait", "1s",
			"--start-event-after", "0s") // the test kills w1 when it says it has started a job
		cmd.Dir, cmd.Env = dir, env
		var errs bytes.Buffer
		cmd.Stderr = &errs
		logs.Store(name, &errs)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		workers[name] = cmd
	}
	defer func() {
		for _, cmd := range workers {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	type result struct {
		out []byte
		err error
		log string
	}
	done := make(chan result, 1)
	go func() {
		cmd := exec.Command(bin, append(args, "--jobs", "1", "--out", "nats", "--nats", url, "--nats-token", token, "--nats-ack-wait", "1s")...)
		cmd.Dir, cmd.Env = dir, env
		var out, errs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errs
		err := cmd.Run()
		done <- result{out.Bytes(), err, errs.String()}
	}()

	killed, redelivered := false, false
	timeout := time.After(2 * time.Minute)
	var res result
wait:
	for {
		select {
		case ev := <-events:
			if ev.Type == "start" && ev.Worker == "w1" && !killed {
				if err := workers["w1"].Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
			if ev.Type == "start" && ev.Delivery > 1 {
				redelivered = true
			}
		case res = <-done:
			break wait
		case <-timeout:
			t.Fatal("the comparison through NATS did not finish within 2 minutes")
		}
	}
	// Events still in flight.
	for len(events) > 0 {
		if ev := <-events; ev.Type == "start" && ev.Delivery > 1 {
			redelivered = true
		}
	}
	if res.err != nil {
		t.Fatalf("compare --nats: %v\n%s", res.err, res.log)
	}
	if !killed {
		t.Fatal("worker w1 took no job: the test did not kill a worker mid-run")
	}
	if !redelivered {
		t.Fatal("no job was delivered a second time: w1 was not killed while it held a job")
	}
	if !bytes.Equal(res.out, local) {
		t.Errorf("stdout of compare --nats differs from the local run's:\n%s\nwant:\n%s", res.out, local)
	}
	if got := comparisonJSON(t, filepath.Join(dir, "nats")); !bytes.Equal(got, wantJSON) {
		t.Errorf("comparison.json through 3 workers (one killed) differs from the local run's")
	}
	for _, name := range []string{"w2", "w3"} {
		if workers[name].ProcessState != nil {
			v, _ := logs.Load(name)
			t.Errorf("worker %s exited: %s", name, v.(*bytes.Buffer).String())
		}
	}
}

// BenchmarkCompareScriptCache runs scripts/compare_policies.star with the
// built binary: "first" with an empty result cache each time, "cached"
// with a cache the first run filled (every episode read, none played),
// and "no_cache" with --no-cache. It reports the median wall time and
// the median CPU time (user + system) of the process in ms: on shared
// cores the CPU time is the steadier figure. EPISODES and STEPS set the
// script's --var episodes and --var steps (default: none, the script's
// own defaults: 30 episodes per mission of each mission's length). Every run
// writes to an output folder of its own, so that no run pays for the
// sessions of those before it.
func BenchmarkCompareScriptCache(b *testing.B) {
	bin := builtBinary(b)
	script := filepath.Join(repoRoot(b), "scripts", "compare_policies.star")
	dir := b.TempDir()
	var vars []string
	if e := os.Getenv("EPISODES"); e != "" {
		vars = append(vars, "--var", "episodes="+e)
	}
	if s := os.Getenv("STEPS"); s != "" {
		vars = append(vars, "--var", "steps="+s)
	}
	runs := 0
	run := func(b *testing.B, cacheDir string, extra ...string) time.Duration {
		runs++
		args := append([]string{"run", script, "-q", "--out", filepath.Join(dir, fmt.Sprintf("out%d", runs))}, vars...)
		cmd := exec.Command(bin, append(args, extra...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DAF_CACHE_DIR="+cacheDir)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	median := func(b *testing.B, prepare func() string, extra ...string) {
		var ms, cpu []float64
		for b.Loop() {
			b.StopTimer()
			c := prepare()
			b.StartTimer()
			start := time.Now()
			used := run(b, c, extra...)
			ms = append(ms, float64(time.Since(start).Microseconds())/1000)
			cpu = append(cpu, float64(used.Microseconds())/1000)
		}
		sort.Float64s(ms)
		sort.Float64s(cpu)
		b.ReportMetric(ms[len(ms)/2], "median-ms")
		b.ReportMetric(cpu[len(cpu)/2], "cpu-ms")
	}
	filled := b.TempDir()
	run(b, filled)
	b.Run("first", func(b *testing.B) {
		median(b, func() string { return b.TempDir() })
	})
	b.Run("cached", func(b *testing.B) {
		median(b, func() string { return filled })
	})
	b.Run("no_cache", func(b *testing.B) {
		median(b, func() string { return filled }, "--no-cache")
	})
	// The target's ratio, measured in pairs: a first run into an empty
	// cache, then a rerun from the cache it filled, one after the other,
	// so that both see the machine at the same speed.
	b.Run("ratio", func(b *testing.B) {
		var ratios []float64
		for b.Loop() {
			c := b.TempDir()
			start := time.Now()
			run(b, c)
			first := time.Since(start)
			start = time.Now()
			run(b, c)
			ratios = append(ratios, time.Since(start).Seconds()/first.Seconds())
		}
		sort.Float64s(ratios)
		b.ReportMetric(100*ratios[len(ratios)/2], "median-cached-%-of-first")
		b.ReportMetric(100*ratios[len(ratios)-1], "max-cached-%-of-first")
	})
}

// Refused credentials fail a run and a worker with a clear error (exit 1).
func TestNATSWrongCredentials(t *testing.T) {
	url := natsServer(t, "the-right-token")
	for _, args := range [][]string{
		{"compare", "-m", "training_facility_1", "-p", "baseline", "-p", "random", "-e", "1", "--episode-steps", "10", "--nats", url, "--nats-token", "a-wrong-token"},
		{"eval", "-m", "training_facility_1", "-p", "random", "-e", "1", "--episode-steps", "10", "--nats", url},
		{"worker", "--nats", url, "--nats-token", "a-wrong-token"},
	} {
		st, _, errs := testState(t.TempDir())
		if code := Main(st, args); code != ExitError {
			t.Errorf("dafscript %s: exit %d, want %d\n%s", args[0], code, ExitError, errs)
		}
		if !strings.Contains(errs.String(), "refused the credentials") || !strings.Contains(errs.String(), "check --nats-token, --nats-nkey or --nats-creds") {
			t.Errorf("dafscript %s: %s", args[0], errs)
		}
	}
}

// A worker of another build refuses the jobs, and the run fails at once
// saying so (exit 1), rather than waiting or playing them.
func TestWorkerOfAnotherBuildIsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	bin := builtBinary(t)
	other := builtBinaryEnv(t, "CGO_ENABLED=0") // another build: another code version
	dir := t.TempDir()
	env := distEnv(t)
	const token = "loopback-test-token"
	url := natsServer(t, token)
	w := exec.Command(other, "worker", "--nats", url, "--nats-token", token, "--jobs", "1", "--name", "old")
	w.Dir, w.Env = dir, env
	var wlog bytes.Buffer
	w.Stderr = &wlog
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { w.Process.Kill(); w.Wait() }()
	cmd := exec.Command(bin, "compare", "-m", "training_facility_1", "-p", "baseline", "-p", "random", "-e", "2",
		"--episode-steps", "20", "--nats", url, "--nats-token", token, "--out", "out")
	cmd.Dir, cmd.Env = dir, env
	var errs bytes.Buffer
	cmd.Stderr = &errs
	start := time.Now()
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != ExitError {
		t.Fatalf("compare against a worker of another build: %v, want exit %d\n%s", err, ExitError, errs.String())
	}
	if !strings.Contains(errs.String(), "worker old runs another build of dafscript") || !strings.Contains(errs.String(), "run the same dafscript binary on every worker") {
		t.Fatalf("stderr: %s", errs.String())
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("the refusal took %v to surface", d)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "out", "comparisons", "*", "comparison.json")); len(files) != 0 {
		t.Errorf("a failed run wrote %v", files)
	}
	if !strings.Contains(wlog.String(), "refusing job") {
		t.Errorf("the worker did not say why it refused: %s", wlog.String())
	}
}

// Data-parallel training from the command line, bad set-ups: the master
// port in use, and ranks started with different world sizes. Each fails
// with a clear error and exit 1 rather than hanging.
func TestTrainRankErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	if !torch.Available {
		t.Skip("this build has no training backend (CGO_ENABLED=0)")
	}
	bin := builtBinary(t)
	dir := t.TempDir()
	train := func(extra ...string) *exec.Cmd {
		cmd := exec.Command(bin, append([]string{"train", "-m", "training_facility_1", "-p", "stateless", "--steps", "64",
			"--hp", "num_envs=6", "--hp", "threads=1", "--out", "out", "--rank-timeout", "20s"}, extra...)...)
		cmd.Dir = dir
		return cmd
	}
	t.Run("nproc 2", func(t *testing.T) {
		cmd := exec.Command(bin, "train", "-m", "training_facility_1", "-p", "stateless", "--steps", "128", "--nproc", "2",
			"--hp", "num_envs=4", "--hp", "bptt_horizon=16", "--hp", "minibatch_size=64", "--hp", "threads=1", "--out", "nproc", "--format", "json")
		cmd.Dir = dir
		var errs bytes.Buffer
		cmd.Stderr = &errs
		out, err := cmd.Output()
		if err != nil {
			if strings.Contains(errs.String(), "without Gloo") {
				t.Skip("the training backend was built without Gloo")
			}
			t.Fatalf("train --nproc 2: %v\n%s", err, errs.String())
		}
		var res struct {
			TrainingSteps   int64  `json:"training_steps"`
			FinalCheckpoint string `json:"final_checkpoint"`
		}
		if err := json.Unmarshal(out, &res); err != nil || res.TrainingSteps < 128 || res.FinalCheckpoint == "" {
			t.Fatalf("result %+v (%v): %s", res, err, out)
		}
	})
	t.Run("master port in use", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		out, err := train("--master", l.Addr().String(), "--world", "2", "--rank", "0").CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != ExitError {
			t.Fatalf("exit %v, want %d\n%s", err, ExitError, out)
		}
		if !strings.Contains(string(out), "rank 0 cannot serve the rendezvous on "+l.Addr().String()+" (is the port in use by another run? choose another master port)") {
			if strings.Contains(string(out), "without Gloo") {
				t.Skip("the training backend was built without Gloo")
			}
			t.Fatalf("output: %s", out)
		}
	})
	t.Run("mismatched world sizes", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		master := l.Addr().String()
		l.Close()
		r0 := train("--master", master, "--world", "2", "--rank", "0")
		var out0 bytes.Buffer
		r0.Stdout, r0.Stderr = &out0, &out0
		if err := r0.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		out1, err1 := train("--master", master, "--world", "3", "--rank", "1").CombinedOutput()
		err0 := r0.Wait()
		for _, r := range []struct {
			out string
			err error
		}{{out0.String(), err0}, {string(out1), err1}} {
			if ee, ok := r.err.(*exec.ExitError); !ok || ee.ExitCode() != ExitError {
				t.Errorf("exit %v, want %d\n%s", r.err, ExitError, r.out)
			}
		}
		if !strings.Contains(string(out1), "world size") || !strings.Contains(out0.String()+string(out1), "start every rank with the same world size") {
			if strings.Contains(out0.String(), "without Gloo") {
				t.Skip("the training backend was built without Gloo")
			}
			t.Errorf("rank 0: %s\nrank 1: %s", out0.String(), out1)
		}
	})
}
