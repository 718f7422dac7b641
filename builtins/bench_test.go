package builtins

import (
	"context"
	"testing"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

func benchEpisode(b *testing.B) eval.Episode {
	m, err := mission.Get("training_facility_1")
	if err != nil {
		b.Fatal(err)
	}
	ep, err := eval.PlayOne(context.Background(), eval.One{Mission: m, Agents: []policy.Spec{{Class: "baseline"}}, Seed: 7})
	if err != nil {
		b.Fatal(err)
	}
	return ep
}

// BenchmarkNewResultEpisode converts a full episode (every agent's stats)
// into the result daf.episode returns.
func BenchmarkNewResultEpisode(b *testing.B) {
	ep := benchEpisode(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewResult(EpisodeKind, ep); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeEpisode is json.encode of that result.
func BenchmarkEncodeEpisode(b *testing.B) {
	r, err := NewResult(EpisodeKind, benchEpisode(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeJSON(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEpisode is a whole daf.episode call from Starlark (argument
// checks, the episode, the result); BenchmarkPlayOne is the episode
// alone, the baseline it is compared with.
func BenchmarkEpisode(b *testing.B) {
	env := &Env{}
	th := &starlark.Thread{}
	SetEnv(th, env)
	fn := NewModule(env).Members["episode"]
	args := starlark.Tuple{starlark.String("training_facility_1"), starlark.String("baseline")}
	kwargs := []starlark.Tuple{{starlark.String("seed"), starlark.MakeInt(7)}}
	for b.Loop() {
		if _, err := starlark.Call(th, fn, args, kwargs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlayOne(b *testing.B) {
	m, err := mission.Get("training_facility_1")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := eval.PlayOne(context.Background(), eval.One{Mission: m, Agents: []policy.Spec{{Class: "baseline"}}, Seed: 7}); err != nil {
			b.Fatal(err)
		}
	}
}
