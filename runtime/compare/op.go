package compare

import (
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
)

// Operation is the compare operation (daf.compare, dafscript compare):
// it plays the episodes, compares the policies and writes the report to
// comparisons/<session>/comparison.json.
var Operation = op.Spec[Options, *Report]{
	Name: "comparison", Folder: "comparisons", File: "comparison.json",
	Body: func(r *op.Run, s *output.Session, o Options) (*Report, error) {
		total := len(o.Policies) * len(o.Missions) * o.EpisodesPerMission
		if o.Mixed {
			total = len(o.Missions) * o.EpisodesPerMission
		}
		o.Jobs = r.Jobs
		ex, c, err := r.Distribution(s)
		if err != nil {
			return nil, err
		}
		if o.Executor == nil {
			o.Executor = ex
		}
		if o.Cache == nil {
			o.Cache = c
		}
		o.Progress = r.Progress(int64(total), "episodes")
		rep, _, err := Run(r.Context(), o)
		return rep, err
	},
}
