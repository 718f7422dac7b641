package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/interp"
	"github.com/dafscript/dafscript/runtime/config"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/plan"
)

func pipelineCmd() *Command {
	return &Command{
		Name:    "pipeline",
		Usage:   "dafscript pipeline [flags] [--resume SESSION] CONFIG.yaml",
		Summary: "run a pipeline config (training, sweep, comparison, benchmark)",
		Help: `Pipeline runs the stages a pipeline config lists (check, training,
sweep, comparison, benchmark), as the @daf/pipelines.star function
config_pipeline does, in one session, DIR/pipelines/<session>/: the
pipeline (journal, stages' outputs, pipeline.json) is its first step,
01_pipeline/, and the operations of the stages the steps after it.
The config is checked first, with the strict schema of every config
(unknown keys and stages, missing inputs, dependencies on stages that are
not listed: file:line:column errors); a cycle in depends_on is an error
too; nothing runs until it all holds. --resume SESSION (pipelines/ID, an
id or a folder) reuses the finished stages of an earlier run of the same
config, found there by the pipeline's name, and runs the rest.
docs/pipelines.md describes the file.

Exit status: 0 every stage completed, 1 a stage failed (the result says
which; resume it), 2 usage or a bad config, 130 interrupted.`,
		Run: pipelineCommand,
	}
}

func pipelineCommand(st *State, args []string) int {
	c := commands["pipeline"]
	var sf ScriptFlags
	pos, code, ok := parseResumable(st, c, &sf, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(st, c, "want one config file, got %d arguments", len(pos))
	}
	path, err := absPath(st, pos[0])
	if err != nil {
		return runFailed(st, c.Name, err)
	}
	doc, err := config.Load(path, "pipeline")
	if err != nil {
		fmt.Fprintf(st.Stderr, "dafscript pipeline: %v\n", strings.ReplaceAll(err.Error(), path, pos[0]))
		return ExitUsage
	}
	generic, err := config.Generic(doc.Value)
	if err != nil {
		return runFailed(st, c.Name, err)
	}
	data, err := json.Marshal(generic)
	if err != nil {
		return runFailed(st, c.Name, err)
	}
	src := fmt.Sprintf("load(\"@daf/pipelines.star\", \"config_pipeline\")\nresult = config_pipeline(json.decode(%q))\n", string(data))
	wd, _ := st.Getwd()
	status, badConfig := "", false
	var session *output.Session
	code = execScript(st, &sf, hostParams{root: wd, workDir: wd, scriptPath: path, scriptSHA: sha256Hex(data),
		sessions: "pipelines", opened: func(s *output.Session) { session = s }},
		func(ctx context.Context, host *interp.Host) error {
			g, err := host.ExecSource(ctx, "pipeline:"+pos[0], []byte(src))
			var oe *op.Error
			if errors.As(err, &oe) && oe.Kind == op.Usage {
				// The stages do not form a pipeline (a cycle): nothing ran.
				fmt.Fprintf(st.Stderr, "dafscript pipeline: %s: %v\n", pos[0], oe.Err)
				badConfig = true
				return nil
			}
			if err != nil {
				return err
			}
			r, ok := g["result"].(starlark.HasAttrs)
			if !ok {
				return fmt.Errorf("config_pipeline returned %v, want a PipelineResult", g["result"])
			}
			str := func(name string) string {
				v, _ := r.Attr(name)
				s, _ := starlark.AsString(v)
				return s
			}
			status = str("status")
			fmt.Fprintf(st.Stdout, "pipeline %s: %s\n", str("name"), status)
			for _, f := range []string{"stages_completed", "stages_failed", "stages_skipped", "reused"} {
				if v, _ := r.Attr(f); v != nil && v.String() != "[]" {
					fmt.Fprintf(st.Stdout, "  %s: %s\n", f, v)
				}
			}
			if v, _ := r.Attr("errors"); v != nil {
				iter := starlark.Iterate(v)
				defer iter.Done()
				var e starlark.Value
				for iter.Next(&e) {
					if eh, ok := e.(starlark.HasAttrs); ok {
						stage, _ := eh.Attr("stage")
						msg, _ := eh.Attr("error")
						s, _ := starlark.AsString(msg)
						fmt.Fprintf(st.Stdout, "  stage %s failed:\n    %s\n", stage, strings.ReplaceAll(s, "\n", "\n    "))
					}
				}
			}
			return nil
		})
	if badConfig {
		return ExitUsage
	}
	if session != nil && status != "" {
		fmt.Fprintf(st.Stderr, "results written to %s\n", session.Dir())
	}
	if code == ExitOK && status != "success" && session != nil {
		ref := session.Operation() + "/" + session.ID()
		fmt.Fprintf(st.Stderr, "dafscript pipeline: not every stage completed; after a fix, rerun with --resume %s\n", ref)
		return ExitError
	}
	return code
}

func planCmd() *Command {
	return &Command{
		Name:    "plan",
		Usage:   "dafscript plan CONFIG.yaml",
		Summary: "print the work a config will do and its time, without running it",
		Help: `Plan reads a pipeline, sweep or training config (checked as when it
runs) and prints each stage's work: policies x missions x episodes,
trials, training agent-steps, and an estimate of the time from measured
speeds: episode play is timed now (the baseline on training_facility_1
for a few hundred steps, under a second), training speeds are those of
docs/performance.md. Nothing of the config runs.

Plan takes configs, not scripts: what a script does depends on its
results (a loop, a branch on a p-value), so it cannot be known without
running it.`,
		Run: func(st *State, args []string) int {
			c := commands["plan"]
			fs := newFlagSet(c)
			pos, code, ok := parseFlags(st, c, fs, args)
			if !ok {
				return code
			}
			if len(pos) != 1 {
				return usageError(st, c, "want one config file, got %d arguments", len(pos))
			}
			if strings.HasSuffix(pos[0], ".star") {
				return usageError(st, c, "%s is a script; plan takes a config (a script's work depends on its results, so it cannot be planned without running it)", pos[0])
			}
			path, err := absPath(st, pos[0])
			if err != nil {
				return runFailed(st, c.Name, err)
			}
			doc, err := config.Load(path, "")
			if err != nil {
				fmt.Fprintf(st.Stderr, "dafscript plan: %v\n", strings.ReplaceAll(err.Error(), path, pos[0]))
				return ExitUsage
			}
			sp, err := plan.Measure(st.Ctx, 300)
			if err != nil {
				return runFailed(st, c.Name, err)
			}
			p, err := plan.Config(doc, sp)
			if err != nil {
				return runFailed(st, c.Name, op.Wrap(op.Usage, err))
			}
			p.Write(st.Stdout)
			return ExitOK
		},
	}
}
