package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/dafscript/dafscript/runtime/envcheck"
)

func checkCmd() *Command {
	c := &Command{
		Name:    "check",
		Usage:   "dafscript check [--missions a,b] [--out DIR] [--format table|json]",
		Summary: "check the environment: CPUs, memory, disk, output folder, missions, backend",
		Help: `Runs the pre-flight checks of daf.check_environment and prints them.
Each check is ok, warn or fail; any fail makes the environment unhealthy
and the exit code 4. Warnings (less than 10 GiB free at the output folder,
little free memory) do not. Without --missions every mission is loaded.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		missions := fs.String("missions", "", "comma-separated `names` of the missions to load (default: all)")
		out := fs.String("out", "daf_output", "output `directory` whose disk and write access are checked")
		format := fs.String("format", "table", "output `format`: table or json")
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) > 0 {
			return usageError(st, c, "unexpected argument %q", pos[0])
		}
		if *format != "table" && *format != "json" {
			return usageError(st, c, "--format %q: want table or json", *format)
		}
		opts := envcheck.Options{Version: st.Version}
		if *out == "" {
			return usageError(st, c, "--out is empty")
		}
		dir, err := absPath(st, *out)
		if err != nil {
			fmt.Fprintf(st.Stderr, "dafscript check: %v\n", err)
			return ExitError
		}
		opts.OutDir = dir
		if *missions != "" {
			for _, m := range strings.Split(*missions, ",") {
				if m = strings.TrimSpace(m); m != "" {
					opts.Missions = append(opts.Missions, m)
				}
			}
			if len(opts.Missions) == 0 {
				return usageError(st, c, "--missions %q names no mission", *missions)
			}
		}
		r := envcheck.Run(opts)
		if *format == "json" {
			err = writeCheckJSON(st.Stdout, r)
		} else {
			err = writeCheckTable(st.Stdout, r)
		}
		if err != nil {
			fmt.Fprintf(st.Stderr, "dafscript check: %v\n", err)
			return ExitError
		}
		if !r.Healthy {
			return ExitUnhealthy
		}
		return ExitOK
	}
	return c
}

func writeCheckJSON(w io.Writer, r *envcheck.Result) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}

// writeCheckTable prints one row per check, then the recommendations and
// the verdict.
func writeCheckTable(w io.Writer, r *envcheck.Result) error {
	t := newTable(w)
	t.Header("check", "status", "detail")
	for _, c := range r.Checks {
		if err := t.Append(c.Name, string(c.Status), wrap(c.Detail, 70)); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if len(r.Recommendations) > 0 {
		fmt.Fprintln(w, "\nRecommendations:")
		for _, rec := range r.Recommendations {
			fmt.Fprintf(w, "  - %s\n", rec)
		}
	}
	verdict := "healthy"
	if !r.Healthy {
		verdict = fmt.Sprintf("unhealthy: %d check(s) failed", len(r.Errors))
	} else if len(r.Warnings) > 0 {
		verdict = fmt.Sprintf("healthy, with %d warning(s)", len(r.Warnings))
	}
	_, err := fmt.Fprintf(w, "\nEnvironment %s; recommended device: %s\n", verdict, r.Device)
	return err
}
