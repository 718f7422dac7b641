package builtins

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/serve"
)

// A package served over HTTP and evaluated through daf.remote_policy
// plays the same episodes as the same package evaluated in process: the
// script-level counterpart of runtime/serve's test. random is stochastic,
// so the served slots must be reset with the episodes' seeds to agree.
func TestRemotePolicyPlaysAsThePackageInProcess(t *testing.T) {
	for _, class := range []string{"random", "baseline"} {
		t.Run(class, func(t *testing.T) {
			dir := t.TempDir()
			env := &Env{Seed: 1, OutDir: filepath.Join(dir, "out"), WorkDir: dir}
			g, _ := mustExec(t, env, `p = daf.package("`+class+`", "agent", "1", path="agent.dafpkg")`)
			path := filepath.Join(dir, "agent.dafpkg")
			if got := g["p"].(*Result).goValue; got == nil {
				t.Fatal("no result")
			}
			srv, err := serve.New(serve.Options{Package: path, Addr: "127.0.0.1:0"})
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ctx, ln) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Error(err)
				}
			}()
			url := "http://" + ln.Addr().String()
			g, _ = mustExec(t, env, `
kw = dict(missions="training_facility_1", episodes=3, seed=7, max_steps=150)
served = daf.evaluate(daf.remote_policy("`+url+`"), **kw)
served_json = daf.evaluate(daf.remote_policy("`+url+`", json=True), **kw)
local = daf.evaluate("package:`+path+`", **kw)
`)
			episodes := func(name string) string {
				ev := g[name].(*Result).goValue.(*eval.Evaluation)
				eps := append([]eval.Episode(nil), ev.Results...)
				for i := range eps {
					eps[i].Policy, eps[i].Assignment = "", nil
				}
				b, err := json.Marshal(eps)
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			local := episodes("local")
			if !strings.Contains(local, `"steps":150`) {
				t.Fatalf("local episodes did not play 150 steps: %.300s", local)
			}
			for _, name := range []string{"served", "served_json"} {
				if got := episodes(name); got != local {
					t.Errorf("%s episodes differ from the in-process package:\n%.600s\n%.600s", name, got, local)
				}
			}
			if n := g["served"].(*Result).goValue.(*eval.Evaluation).Policies[0]; n != "remote:"+url {
				t.Errorf("served policy named %q", n)
			}
		})
	}
}

func TestDeploymentBuiltinErrors(t *testing.T) {
	dir := t.TempDir()
	os.Setenv("DAF_TEST_EMPTY_TOKEN", "")
	env := &Env{Seed: 1, OutDir: filepath.Join(dir, "out"), WorkDir: dir}
	mustExec(t, env, `daf.package("noop", "agent", "2", path="noop.dafpkg")`)
	if err := os.MkdirAll(filepath.Join(dir, "plain"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "plain", "x"), []byte("x"), 0o644)
	for _, tc := range []struct{ src, want string }{
		{`daf.package("basline", "a", "1")`, `unknown policy "basline" (did you mean baseline?)`},
		{`daf.package("baseline", "a b", "1")`, `daf.package: name "a b"`},
		{`daf.package("baseline", "a", "1", path="a.tgz")`, "ends in .dafpkg"},
		{`daf.package("baseline", "a", "1", pat="a.dafpkg")`, "did you mean path?"},
		{`daf.validate(3)`, "daf.validate: pkg: got int, want a .dafpkg path or daf.package's result"},
		{`daf.validate("noop.dafpkg", "traning_facility_1")`, "did you mean training_facility_1"},
		{`daf.validate("noop.dafpkg", "training_facility_1", episodes=0)`, "episodes must be >= 1"},
		{`daf.validate("noop.dafpkg", "training_facility_1", alpha=2)`, "alpha must be in (0, 1)"},
		{`daf.validate("noop.dafpkg", min_reward=1)`, "min_reward and against need missions"},
		{`daf.validate("noop.dafpkg", "training_facility_1", against=3)`, "against: got int"},
		{`daf.deploy("noop.dafpkg", missions="training_facility_1", episodes=2, max_steps=300, min_reward=0.5)`,
			"daf.deploy: package " + filepath.Join(dir, "noop.dafpkg") + " failed validation, not deployed (force=True"},
		{`daf.deploy("noop.dafpkg", registry="plain")`, "not a registry"},
		{`daf.rollback("agent")`, `no policy "agent" deployed`},
		{`daf.rollback("agent", registry="nosuch")`, "no such folder"},
		{`daf.rollback("../x")`, `daf.rollback: name "../x"`},
		{`daf.registry("plain")`, "not a registry"},
		{`daf.remote_policy("localhost:8080")`, `server URL "localhost:8080": want http://HOST:PORT`},
		{`daf.remote_policy("http://127.0.0.1:1", token_env="DAF_TEST_EMPTY_TOKEN")`, "environment variable DAF_TEST_EMPTY_TOKEN is not set"},
	} {
		_, _, err := exec(t, env, tc.src)
		msg := ""
		if err != nil {
			msg = err.Error()
			if ee, ok := err.(*starlark.EvalError); ok {
				msg = ee.Msg
			}
		}
		if err == nil || !strings.Contains(msg, tc.want) {
			t.Errorf("%s\nerror %q\nwant it to contain %q", tc.src, msg, tc.want)
		}
	}
}

// The happy path in a script: results carry the fields the docs name, the
// registry lists what was deployed, and a rollback switches back.
func TestDeploymentBuiltins(t *testing.T) {
	dir := t.TempDir()
	env := &Env{Seed: 1, OutDir: filepath.Join(dir, "out"), WorkDir: dir}
	_, out := mustExec(t, env, `
p1 = daf.package("baseline", "agent", "1")
p2 = daf.package(daf.policy("random"), "agent", "2", path="pkgs/a2.dafpkg")
print(p1.path.endswith("agent-1.dafpkg"), getattr(p1.manifest.policy, "class"), len(p1.sha256))
v = daf.validate(p1, "training_facility_1", episodes=2, max_steps=600, against="noop", min_reward=0.0)
print(v.passed, v.reasons, [c.name for c in v.checks], v.reference.policy)
d1 = daf.deploy(p1)
d2 = daf.deploy("pkgs/a2.dafpkg")
print(d1.current.version, d2.current.version, d2.current.history, d2.forced, d2.validation.passed)
r = daf.registry()
print([(e.name, e.current, e.versions) for e in r.policies])
print(daf.rollback("agent").current.version)
print(daf.registry().policies[0].current)
print("current" in daf.registry().table())
`)
	want := `True baseline 64
True [] ["hashes", "loads", "plays", "min_reward", "not_worse"] noop
1 2 ["1"] False True
[("agent", "2", ["1", "2"])]
1
1
True
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "registry", "agent", "versions", "2", "package.dafpkg")); err != nil {
		t.Errorf("default registry: %v", err)
	}
}
