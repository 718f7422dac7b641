package builtins

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dafscript/dafscript/sim/policy"
)

func init() {
	// A class that takes any keyword arguments and data path, for tests.
	policy.Register("test_kw", "test policy with arguments", func(s policy.Spec) (policy.Policy, error) {
		return policy.New(policy.Spec{Class: "noop"})
	})
}

func TestPolicyBuiltin(t *testing.T) {
	for _, tc := range []struct{ src, out, err string }{
		{src: `print(daf.policy("baseline"))`, out: `PolicySpec("baseline")` + "\n"},
		{src: `print(daf.policy("test_kw", "ckpt/v1.pt", b=2, a=[1, 2.5]))`, out: `PolicySpec("test_kw", data_path="ckpt/v1.pt", a=[1, 2.5], b=2)` + "\n"},
		{src: `p = daf.policy(class_path="test_kw", data_path="m.pt", hidden=128)
print(p.class_path, p.data_path, p.kwargs, p.name)`, out: "test_kw m.pt {\"hidden\": 128} test_kw?hidden=128:m.pt\n"},
		{src: `print(daf.policy("test_kw:m.pt").data_path, daf.policy("random").data_path)`, out: "m.pt None\n"},
		{src: `print(json.encode(daf.policy("test_kw", "m.pt", x=1)))`, out: `{"class_path":"test_kw","data_path":"m.pt","kwargs":{"x":1},"name":"test_kw?x=1:m.pt"}` + "\n"},
		{src: `print(daf.policy("random") == daf.policy("random"), daf.policy("random") == daf.policy("noop"), daf.policy("test_kw", x=1) != daf.policy("test_kw", x=2))`, out: "True False True\n"},
		{src: `print({daf.policy("random"): 1}[daf.policy("random")])`, out: "1\n"},
		{src: `daf.policy("basline")`, err: `daf.policy: unknown policy "basline" (did you mean baseline?)`},
		{src: `daf.policy("")`, err: `daf.policy: class_path is empty (known policies:`},
		{src: `daf.policy(3)`, err: `daf.policy: for parameter class_path: got int, want string`},
		{src: `daf.policy("test_kw", data_path=3)`, err: `daf.policy: for parameter data_path: got int, want a string or None`},
		{src: `daf.policy("test_kw", "a", "b")`, err: `daf.policy: got 3 positional arguments, want at most 2`},
		{src: `daf.policy("test_kw:m.pt:0.5")`, err: `a proportion belongs in a team mix`},
		{src: `daf.policy("noop", speed=1)`, err: `daf.policy: policy noop: takes no keyword arguments, got speed`},
		{src: `daf.policy("test_kw", f=daf.policy)`, err: `daf.policy: keyword argument f: cannot use a builtin_function_or_method here`},
		{src: `daf.policy()`, err: `daf.policy: missing argument for class_path`},
	} {
		t.Run(tc.src, func(t *testing.T) {
			_, out, err := exec(t, nil, tc.src)
			checkRun(t, out, err, tc.out, tc.err)
		})
	}
}

func TestPolicyArgs(t *testing.T) {
	p, _ := NewPolicySpec(policy.Spec{Class: "random"})
	for _, tc := range []struct {
		src  string
		want []PolicyArg
		err  string
	}{
		{src: `"baseline"`, want: []PolicyArg{{policy.Spec{Class: "baseline"}, 1}}},
		{src: `p`, want: []PolicyArg{{policy.Spec{Class: "random"}, 1}}},
		{src: `["noop", p, "test_kw:x.pt:0.25"]`, want: []PolicyArg{{policy.Spec{Class: "noop"}, 1}, {policy.Spec{Class: "random"}, 1}, {policy.Spec{Class: "test_kw", Data: "x.pt"}, 0.25}}},
		{src: `("noop",)`, want: []PolicyArg{{policy.Spec{Class: "noop"}, 1}}},
		{src: `[]`, err: `daf.compare: policies is empty; give at least one policy`},
		{src: `["noop", "rnadom"]`, err: `daf.compare: policies[1]: unknown policy "rnadom" (did you mean random?)`},
		{src: `["noop", 3]`, err: `daf.compare: policies[1]: got int, want a policy name such as "baseline"`},
		{src: `{"noop": 1}`, err: `daf.compare: policies: got dict, want a policy name`},
		{src: `"noop:a:b:c"`, err: `daf.compare: policies: policy spec "noop:a:b:c": at most two ':' separators`},
		{src: `"noop::-1"`, err: `proportion "-1" must be a positive number`},
	} {
		t.Run(tc.src, func(t *testing.T) {
			v := evalExpr(t, tc.src, map[string]any{"p": p})
			got, err := PolicyArgs("daf.compare", "policies", v)
			if checkErr(t, err, tc.err) {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("-want +got\n%s", diff)
			}
		})
	}
	specs, err := PolicySpecs("f", "p", evalExpr(t, `["noop", "test_kw:d:0.5"]`, nil))
	if err != nil || len(specs) != 2 || specs[1].Data != "d" {
		t.Errorf("PolicySpecs = %v, %v", specs, err)
	}
}

// panicky acts by panicking, for the error path of an episode.
type panicky struct{}

func (panicky) Name() string                                   { return "test_panic" }
func (panicky) NewController(n int) (policy.Controller, error) { return panickyCtrl{}, nil }

type panickyCtrl struct{}

func (panickyCtrl) Reset(int, uint64)          {}
func (panickyCtrl) Act([]uint8, []int32) error { panic("policy exploded") }
func (panickyCtrl) Close() error               { return nil }

func init() {
	policy.Register("test_panic", "panics when it acts", func(policy.Spec) (policy.Policy, error) { return panicky{}, nil })
}
