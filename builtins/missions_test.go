package builtins

import (
	"strings"
	"testing"

	"github.com/dafscript/dafscript/sim/mission"
)

func TestMissionsBuiltin(t *testing.T) {
	_, out := mustExec(t, nil, `print(json.encode(daf.missions()))`)
	var want strings.Builder
	want.WriteString("[")
	for i, n := range mission.Names() {
		if i > 0 {
			want.WriteString(",")
		}
		want.WriteString(`"` + n + `"`)
	}
	want.WriteString("]\n")
	if out != want.String() || len(mission.Names()) == 0 {
		t.Errorf("daf.missions() = %s, want %s", out, want.String())
	}
	wantErr(t, `daf.missions(1)`, "daf.missions: got 1 arguments, want at most 0")
	wantErr(t, `daf.missions(all=True)`, `daf.missions: unexpected keyword argument "all" (it takes )`)
}

func TestMissionBuiltin(t *testing.T) {
	m, err := mission.Get("training_facility_1:easy")
	if err != nil {
		t.Fatal(err)
	}
	_, out := mustExec(t, nil, `
m = daf.mission("training_facility_1:easy")
print(m.name, m.num_agents, m.max_steps, m.width, m.height, m.variants, type(m))
assert_ok = m.description != ""
print(assert_ok, m == daf.mission(name="training_facility_1:easy"))
print(daf.mission(m).name)
`)
	want := m.Name + " " + itoa(m.NumAgents) + " " + itoa(m.MaxSteps) + " " + itoa(m.Width) + " " + itoa(m.Height) + " " + listText(m.Variants) + " Mission\nTrue True\n" + m.Name + "\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	for _, tc := range []struct{ src, err string }{
		{`daf.mission("traning_facility_1")`, `daf.mission: name: unknown mission "traning_facility_1" (did you mean training_facility_1`},
		{`daf.mission(3)`, `daf.mission: name: got int, want a mission name such as "training_facility_1"`},
		{`daf.mission(["training_facility_1"])`, `daf.mission: name: got list, want one mission name`},
		{`daf.mission("training_facility_1:hard")`, `unknown suffix ":hard"`},
		{`daf.mission()`, `daf.mission: give a mission name (daf.missions() lists them) or map="FILE"`},
		{`daf.mission(nmae="x")`, `daf.mission: unexpected keyword argument "nmae" (did you mean name or map?)`},
		{`daf.mission(daf.policy("noop"))`, `daf.mission: name: got PolicySpec`},
	} {
		t.Run(tc.src, func(t *testing.T) { wantErr(t, tc.src, tc.err) })
	}
}

func TestMissionsArg(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want []string
		err  string
	}{
		{src: `"training_facility_1"`, want: []string{"training_facility_1"}},
		{src: `["training_facility_1", daf.mission("training_facility_2")]`, want: []string{"training_facility_1", "training_facility_2"}},
		{src: `("training_facility_1:easy",)`, want: []string{"training_facility_1:easy"}},
		{src: `[]`, err: `daf.compare: missions is empty; give at least one mission`},
		{src: `["training_facility_1", "traning_facility_1"]`, err: `daf.compare: missions[1]: unknown mission "traning_facility_1" (did you mean training_facility_1`},
		{src: `[None]`, err: `daf.compare: missions[0]: got NoneType`},
	} {
		t.Run(tc.src, func(t *testing.T) {
			ms, err := Missions("daf.compare", "missions", evalExpr(t, tc.src, nil))
			if checkErr(t, err, tc.err) {
				return
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.Name)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
