package builtins

import (
	"fmt"
	"io"
	"math"
	"strings"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/deploy"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/pkg"
	"github.com/dafscript/dafscript/runtime/serve"
	"github.com/dafscript/dafscript/sim/policy"
)

// Starlark type names of the deployment builtins' results.
const (
	PackageKind    = "PackageResult"
	ValidationKind = "ValidationResult"
	DeployKind     = "DeployResult"
	RollbackKind   = "RollbackResult"
	RegistryKind   = "Registry"
)

const packageDoc = `daf.package(policy, name, version, path=None) -> PackageResult

Packages a policy into one reproducible .dafpkg file (a tar.gz holding
manifest.json and, for a neural policy, its weights): the same policy,
name, version and checkpoint give the same bytes. policy is a scripted
policy ("baseline", daf.policy("baseline", greedy=True)) or a neural one
with its checkpoint (daf.policy("lstm", data_path=r.final_checkpoint));
name and version are 1 to 64 letters, digits, '.', '_' or '-'. path is
where the file goes; None writes it into the session folder,
<out>/deployment/<session>/NAME-VERSION.dafpkg.

Result fields: path, sha256, bytes, manifest (format, format_version,
name, version, policy, observation, action, network, training,
code_version, files). The result is also written to package.json.

  p = daf.package("baseline", "agent", "1.0")
  print(p.path, p.sha256)`

const validateDoc = `daf.validate(pkg, missions=None, episodes=10, min_reward=None, against=None, alpha=0.05, seed=None, max_steps=None) -> ValidationResult

Runs the validation gate on a package (a path or daf.package's result):
its hashes match, it loads, it plays episodes on each mission without an
error, its mean episode reward is at least min_reward (when given), and
(when against names a policy, e.g. "baseline") it is not significantly
worse than that policy on the same episodes: a one-sided Welch t-test at
level alpha. With no missions only the hashes and the loading are
checked. A failed check is a result (passed is False), not an error.
seed=None uses the run's --seed; max_steps=None the run's
--episode-steps, else each mission's own length.

Result fields: passed, reasons (one line per failed check), checks (each
with name, passed, detail), package, sha256, name, version, episodes,
mean_reward and, with against, reference (policy, mean_reward,
mean_diff, t, df, p_one_sided, alpha, significantly_worse). The result is
also written to validation.json.

  v = daf.validate(p, "training_facility_1", episodes=5, min_reward=0.5, against="baseline")
  if not v.passed:
      print(v.reasons)`

const deployDoc = `daf.deploy(pkg, registry=None, missions=None, episodes=10, min_reward=None, against=None, alpha=0.05, seed=None, max_steps=None, force=False) -> DeployResult

Validates a package (the gate of daf.validate, with the same arguments)
and deploys it into a registry folder as NAME/versions/VERSION, then makes
it NAME's current version (an atomic switch of the NAME/current file).
registry=None uses <out>/registry. A package that fails the gate is
refused with an error naming the failed checks, unless force=True; one
whose hashes do not match is refused even then. Deploying the same bytes
again only makes that version current.

Result fields: registry, name, version, sha256, current (version,
history: the versions current before, newest first), forced,
validation (a ValidationResult). The result is also written to
deploy.json, and the gate's to validation.json.

  d = daf.deploy(p, missions="training_facility_1", episodes=5, min_reward=0.5)
  print(d.current.version)`

const rollbackDoc = `daf.rollback(name, registry=None) -> RollbackResult

Makes the version of policy name that was current before the present one
current again (registry=None uses <out>/registry). It fails when there is
no earlier version.

Result fields: registry, name, current (version, history). The result is
also written to rollback.json.

  daf.rollback("agent").current.version`

const registryDoc = `daf.registry(dir=None) -> Registry

Lists a registry folder (dir=None uses <out>/registry): every deployed
policy with its current version, the versions current before it (history,
newest first) and every version stored. A folder that is not a registry
is an error. r.table() returns the listing as a text table (as dafscript
registry prints it).

Result fields: registry, policies (each with name, current, history,
versions).

  for p in daf.registry().policies:
      print(p.name, p.current, p.versions)`

const remotePolicyDoc = `daf.remote_policy(url, token_env=None, json=False) -> PolicySpec

A policy played by a server that dafscript serve runs at url
("http://127.0.0.1:8080"): usable wherever a policy is (daf.evaluate,
daf.compare, daf.episode). Each team of agents is one session of the
server, its slots reset with the seeds of the episode, so a served package
plays the same episodes as the package played in process. token_env names
an environment variable holding the server's bearer token (the token
itself never enters the policy's name or a result file). json=True sends
JSON instead of the compact binary form.

  r = daf.evaluate(daf.remote_policy("http://127.0.0.1:8080"), "training_facility_1", episodes=5)`

// pkgPath reads a package argument: a path or daf.package's result.
func pkgPath(env *Env, argName string, v starlark.Value) (string, error) {
	switch x := v.(type) {
	case starlark.String:
		return env.Path(string(x)), nil
	case *Result:
		if r, ok := x.goValue.(*pkg.Result); ok {
			return r.Path, nil
		}
	}
	return "", fmt.Errorf("%s: got %s, want a .dafpkg path or daf.package's result", argName, v.Type())
}

// optString reads an optional string argument (None is "").
func optString(argName string, v starlark.Value) (string, error) {
	switch x := v.(type) {
	case nil, starlark.NoneType:
		return "", nil
	case starlark.String:
		return string(x), nil
	}
	return "", fmt.Errorf("%s: got %s, want a string or None", argName, v.Type())
}

// anyInt converts an int argument (nil or None gives def); its range is
// the options' Check's to judge.
func anyInt(argName string, v starlark.Value, def int) (int, error) {
	return IntArg(argName, v, def, math.MinInt32, math.MaxInt32)
}

// gateArgs are the arguments daf.validate and daf.deploy share.
type gateArgs struct {
	missions, episodes, minReward, against, alpha, seed, maxSteps starlark.Value
}

func newGateArgs() gateArgs {
	return gateArgs{missions: starlark.None, episodes: starlark.None, minReward: starlark.None, against: starlark.None,
		alpha: starlark.Float(deploy.DefaultAlpha), seed: starlark.None, maxSteps: starlark.None}
}

func (g *gateArgs) pairs() []any {
	return []any{"missions?", &g.missions, "episodes?", &g.episodes, "min_reward?", &g.minReward, "against?", &g.against,
		"alpha?", &g.alpha, "seed?", &g.seed, "max_steps?", &g.maxSteps}
}

// options converts the gate arguments; Check judges them. Errors name
// fnName.
func (g *gateArgs) options(t *starlark.Thread, fnName, pkgPath string) (deploy.ValidateOptions, error) {
	o, err := g.convert(t, fnName, pkgPath)
	if err != nil && !strings.HasPrefix(err.Error(), fnName+":") {
		err = fmt.Errorf("%s: %v", fnName, err)
	}
	return o, err
}

func (g *gateArgs) convert(t *starlark.Thread, fnName, pkgPath string) (deploy.ValidateOptions, error) {
	env := EnvOf(t)
	o := deploy.ValidateOptions{Package: pkgPath}
	var err error
	if g.missions != starlark.None {
		if o.Missions, err = missionNames(fnName, "missions", g.missions); err != nil {
			return o, err
		}
	}
	if o.Episodes, err = anyInt("episodes", g.episodes, 10); err != nil {
		return o, err
	}
	if g.minReward != starlark.None {
		f, ok := starlark.AsFloat(g.minReward)
		if !ok {
			return o, fmt.Errorf("min_reward: got %s, want a number or None", g.minReward.Type())
		}
		o.MinReward = &f
	}
	switch x := g.against.(type) {
	case starlark.NoneType:
	case starlark.String:
		o.Against = string(x)
	case *PolicySpec:
		o.Against = x.spec.String()
	default:
		return o, fmt.Errorf("against: got %s, want a policy such as \"baseline\" or None", g.against.Type())
	}
	a, ok := starlark.AsFloat(g.alpha)
	if !ok {
		return o, fmt.Errorf("alpha: got %s, want a number between 0 and 1, e.g. 0.05", g.alpha.Type())
	}
	o.Alpha = a
	if o.Seed, err = SeedArg(t, g.seed); err != nil {
		return o, err
	}
	if o.MaxSteps, err = anyInt("max_steps", g.maxSteps, env.MaxSteps); err != nil {
		return o, err
	}
	return o, nil
}

// args is the gate as the manifest records it.
func gateManifestArgs(o deploy.ValidateOptions) map[string]any {
	m := map[string]any{"package": o.Package, "missions": o.Missions, "episodes": o.Episodes, "against": o.Against,
		"alpha": o.Alpha, "max_steps": o.MaxSteps}
	if o.MinReward != nil {
		m["min_reward"] = *o.MinReward
	}
	return m
}

func builtinPackage(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var polV, pathV starlark.Value = nil, starlark.None
	var name, version string
	if err := UnpackArgs(b.Name(), args, kwargs, "policy", &polV, "name", &name, "version", &version, "path?", &pathV); err != nil {
		return nil, err
	}
	env := EnvOf(t)
	specs, err := PolicySpecs(b.Name(), "policy", polV)
	if err != nil {
		return nil, err
	}
	if len(specs) != 1 {
		return nil, fmt.Errorf("%s: policy: got %d policies, want one", b.Name(), len(specs))
	}
	spec := specs[0]
	spec.Data = env.Path(spec.Data)
	path, err := optString("path", pathV)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	res, _, err := op.Do(env.Op(b.Name()), deploy.PackageOperation, op.Call[pkg.Options]{
		Options: pkg.Options{Policy: spec, Name: name, Version: version, Out: env.Path(path)},
		Args:    map[string]any{"function": b.Name(), "policy": spec.String(), "name": name, "version": version, "path": path},
	})
	if err != nil {
		return nil, callError(b.Name(), err)
	}
	return NewResult(PackageKind, res)
}

func builtinValidate(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pkgV starlark.Value
	g := newGateArgs()
	if err := UnpackArgs(b.Name(), args, kwargs, append([]any{"pkg", &pkgV}, g.pairs()...)...); err != nil {
		return nil, err
	}
	env := EnvOf(t)
	path, err := pkgPath(env, "pkg", pkgV)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	o, err := g.options(t, b.Name(), path)
	if err != nil {
		return nil, err
	}
	a := gateManifestArgs(o)
	a["function"] = b.Name()
	res, _, err := op.Do(env.Op(b.Name()), deploy.ValidateOperation, op.Call[deploy.ValidateOptions]{Options: o, Seed: o.Seed, Args: a})
	if err != nil {
		return nil, callError(b.Name(), err)
	}
	return NewResult(ValidationKind, res, textMethod(ValidationKind, res.WriteText))
}

func builtinDeploy(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pkgV, regV starlark.Value = nil, starlark.None
	force := false
	g := newGateArgs()
	pairs := append([]any{"pkg", &pkgV, "registry?", &regV}, g.pairs()...)
	if err := UnpackArgs(b.Name(), args, kwargs, append(pairs, "force?", &force)...); err != nil {
		return nil, err
	}
	env := EnvOf(t)
	path, err := pkgPath(env, "pkg", pkgV)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	reg, err := optString("registry", regV)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	gate, err := g.options(t, b.Name(), path)
	if err != nil {
		return nil, err
	}
	a := gateManifestArgs(gate)
	a["function"], a["registry"], a["force"] = b.Name(), reg, force
	res, _, err := op.Do(env.Op(b.Name()), deploy.DeployOperation, op.Call[deploy.Options]{
		Options: deploy.Options{Package: path, Registry: env.Path(reg), Gate: gate, Force: force},
		Seed:    gate.Seed, Args: a,
	})
	if err != nil {
		return nil, callError(b.Name(), err)
	}
	return NewResult(DeployKind, res)
}

func builtinRollback(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var regV starlark.Value = starlark.None
	if err := UnpackArgs(b.Name(), args, kwargs, "name", &name, "registry?", &regV); err != nil {
		return nil, err
	}
	env := EnvOf(t)
	reg, err := optString("registry", regV)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	res, _, err := op.Do(env.Op(b.Name()), deploy.RollbackOperation, op.Call[deploy.RollbackOptions]{
		Options: deploy.RollbackOptions{Registry: env.Path(reg), Name: name},
		Args:    map[string]any{"function": b.Name(), "name": name, "registry": reg},
	})
	if err != nil {
		return nil, callError(b.Name(), err)
	}
	return NewResult(RollbackKind, res)
}

func builtinRegistry(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var dirV starlark.Value = starlark.None
	if err := UnpackArgs(b.Name(), args, kwargs, "dir?", &dirV); err != nil {
		return nil, err
	}
	env := EnvOf(t)
	dir, err := optString("dir", dirV)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	l, err := deploy.List(env.Context(), deploy.RegistryDir(env.OutDir, env.Path(dir)))
	if err != nil {
		return nil, callError(b.Name(), err)
	}
	return NewResult(RegistryKind, l, textMethod(RegistryKind, l.WriteText))
}

func builtinRemotePolicy(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var url string
	var tokenEnvV starlark.Value = starlark.None
	jsonMode := false
	if err := UnpackArgs(b.Name(), args, kwargs, "url", &url, "token_env?", &tokenEnvV, "json?", &jsonMode); err != nil {
		return nil, err
	}
	tokenEnv, err := optString("token_env", tokenEnvV)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	// Built directly: a URL's colons do not fit a "CLASS:DATA" string.
	spec := policy.Spec{Class: serve.RemoteClass, Data: strings.TrimSpace(url)}
	if tokenEnv != "" || jsonMode {
		spec.Kwargs = map[string]any{}
		if tokenEnv != "" {
			spec.Kwargs["token_env"] = tokenEnv
		}
		if jsonMode {
			spec.Kwargs["json"] = true
		}
	}
	if err := checkPolicy(spec); err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	return NewPolicySpec(spec)
}

// textMethod is a table() method that returns what write writes.
func textMethod(kind string, write func(w io.Writer) error) Method {
	return Method{Name: "table", Fn: func(t *starlark.Thread, r *Result, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := UnpackArgs(kind+".table", args, kwargs); err != nil {
			return nil, err
		}
		var sb strings.Builder
		if err := write(&sb); err != nil {
			return nil, err
		}
		return starlark.String(sb.String()), nil
	}}
}
