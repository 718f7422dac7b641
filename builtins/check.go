package builtins

import (
	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/envcheck"
)

const checkEnvironmentDoc = `daf.check_environment(missions=None) -> EnvironmentCheck

Pre-flight checks: CPUs, memory, free disk and write access at the output
folder (--out; warns under 10 GiB free), that the missions load (None:
every base mission; a typo gets a did-you-mean), the Go and dafscript
versions, and the training backend (libtorch, BLAS, threads, devices)
when it is built in. It never fails itself: look at the result.

Result fields: checks (a list of name, status ("ok", "warn" or "fail"),
detail, recommendation), warnings, errors, recommendations (lists of
strings), healthy (no check failed), device (as daf.recommended_device).
Method: is_healthy().

  env = daf.check_environment(missions=["training_facility_1"])
  if not env.is_healthy():
      fail("environment: " + "; ".join(env.errors))`

const recommendedDeviceDoc = `daf.recommended_device() -> string

The compute device training should use: the first CUDA device the
training backend reports ("cuda:0"), else "cpu".

  daf.train(..., device=daf.recommended_device())`

// EnvironmentCheckKind is the Starlark type name of daf.check_environment's result.
const EnvironmentCheckKind = "EnvironmentCheck"

func builtinCheckEnvironment(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var mis starlark.Value = starlark.None
	if err := UnpackArgs(b.Name(), args, kwargs, "missions?", &mis); err != nil {
		return nil, err
	}
	env := EnvOf(t)
	opts := envcheck.Options{OutDir: env.OutDir, Version: env.Version}
	if mis != starlark.None {
		names, err := missionNames(b.Name(), "missions", mis)
		if err != nil {
			return nil, err
		}
		opts.Missions = names
	}
	return EnvironmentCheckResult(envcheck.Run(opts))
}

// EnvironmentCheckResult wraps an envcheck result, with is_healthy().
func EnvironmentCheckResult(r *envcheck.Result) (starlark.Value, error) {
	return NewResult(EnvironmentCheckKind, r, Method{
		Name: "is_healthy",
		Fn: func(t *starlark.Thread, self *Result, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := UnpackArgs(EnvironmentCheckKind+".is_healthy", args, kwargs); err != nil {
				return nil, err
			}
			return starlark.Bool(r.Healthy), nil
		},
	})
}

// missionNames reads names without resolving them: the check reports
// the ones that do not load instead of failing the call.
func missionNames(fnName, argName string, v starlark.Value) ([]string, error) {
	items, isList := elements(v)
	names := make([]string, 0, len(items))
	for i, it := range items {
		switch x := it.(type) {
		case starlark.String:
			names = append(names, string(x))
		case *Result:
			if info, ok := x.goValue.(MissionInfo); ok {
				names = append(names, info.Name)
				continue
			}
			return nil, wrongMission(fnName, indexed(argName, i, isList), it)
		default:
			return nil, wrongMission(fnName, indexed(argName, i, isList), it)
		}
	}
	return names, nil
}

func builtinRecommendedDevice(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return starlark.String(envcheck.RecommendedDevice()), nil
}
