package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/report"
)

// The sessions, show and report commands read what runs left under the
// output folder: daf_output/<operation>/<session>/manifest.json.

// outFlag defines --out, the output folder the commands read.
func outFlag(fs *flag.FlagSet) *string {
	return fs.String("out", "daf_output", "output `directory` the sessions are under")
}

func outManager(st *State, out string) (*output.Manager, error) {
	root, err := absPath(st, out)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("no output folder %s (runs write there; --out names another)", out)
	}
	return output.NewManager(root), nil
}

// statusText is the manifest's status, or "interrupted" for a session
// whose process died while it ran.
func statusText(m *output.Manifest) string {
	if m.Stale() {
		return "interrupted"
	}
	return string(m.Status)
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func sessionsCmd() *Command {
	c := &Command{
		Name:    "sessions",
		Usage:   "dafscript sessions [--out DIR] [--op OPERATION] [--json] [--repair]",
		Summary: "list the sessions under the output folder",
		Help: `Lists every session under the output folder (daf_output by default),
oldest first: its operation, id, status (running, done, failed, cancelled,
or interrupted when the process that ran it died), start time (UTC), the
script that ran it and the number of files it recorded. Name one in
'dafscript show' or 'dafscript report' by its id, or by OPERATION/ID
when two operations share an id. --repair first removes the temporary
files of runs that were killed and gives a manifest to a session that
was killed before its first one was complete.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		out := outFlag(fs)
		op := fs.String("op", "", "list only this `operation` (comparisons, training, ...)")
		asJSON := fs.Bool("json", false, "print the manifests as a JSON array")
		repair := fs.Bool("repair", false, "first remove the temporaries of killed runs and recover sessions left without a manifest")
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) > 0 {
			return usageError(st, c, "unexpected argument %q", pos[0])
		}
		if *op != "" && !slices.Contains(output.Operations, *op) {
			return usageError(st, c, "--op %q: want one of %s", *op, strings.Join(output.Operations, ", "))
		}
		m, err := outManager(st, *out)
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		if *repair && !repairOutput(st, m) {
			return ExitError
		}
		all, err := m.Sessions()
		if err != nil {
			// Unreadable manifests are reported, the readable ones listed.
			fmt.Fprintf(st.Stderr, "dafscript sessions: %v\n", err)
		}
		var list []output.SessionInfo
		for _, s := range all {
			if *op == "" || s.Operation == *op {
				list = append(list, s)
			}
		}
		if *asJSON {
			mans := make([]*output.Manifest, len(list))
			for i, s := range list {
				mans[i] = s.Manifest
			}
			return printJSON(st, c.Name, mans)
		}
		if len(list) == 0 {
			fmt.Fprintf(st.Stdout, "No sessions under %s.\n", *out)
			return ExitOK
		}
		t := newTable(st.Stdout)
		t.Header("operation", "session", "status", "start UTC", "script", "files")
		for _, s := range list {
			script := "-"
			if s.Manifest.ScriptPath != "" {
				script = filepath.Base(s.Manifest.ScriptPath)
			}
			if err := t.Append(s.Operation, s.ID, statusText(s.Manifest), timeText(s.Manifest.StartTime), script, len(s.Manifest.Files)); err != nil {
				return runFailed(st, c.Name, err)
			}
		}
		if err := t.Render(); err != nil {
			return runFailed(st, c.Name, err)
		}
		return ExitOK
	}
	return c
}

// repairOutput runs output's Repair and reports what it did on stderr.
func repairOutput(st *State, m *output.Manager) bool {
	r, err := m.Repair()
	for _, p := range r.Removed {
		fmt.Fprintf(st.Stderr, "removed %s\n", p)
	}
	for _, s := range r.Recovered {
		fmt.Fprintf(st.Stderr, "recovered %s (interrupted)\n", s)
	}
	if err != nil {
		fmt.Fprintf(st.Stderr, "dafscript sessions: %v\n", err)
	}
	return err == nil
}

func printJSON(st *State, name string, v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return runFailed(st, name, err)
	}
	fmt.Fprintf(st.Stdout, "%s\n", b)
	return ExitOK
}

func showCmd() *Command {
	c := &Command{
		Name:    "show",
		Usage:   "dafscript show [--out DIR] [--verify] [--json] SESSION",
		Summary: "print a session's manifest: script, seed, arguments, files",
		Help: `Prints what a session's manifest.json records: status, start and end time,
dafscript version, the script and its SHA-256, the seed, the --var values,
the call's arguments, a run's steps (status, seed, arguments, error), and
every file with its size and SHA-256. SESSION is
an id (20260131_142501), OPERATION/ID, or the session's folder. --verify
hashes the files again and fails (exit 1) if one changed or is missing.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		out := outFlag(fs)
		verify := fs.Bool("verify", false, "hash the files again and compare with the manifest")
		asJSON := fs.Bool("json", false, "print the manifest as JSON")
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) != 1 {
			return usageError(st, c, "want one SESSION ('dafscript sessions' lists them), got %d arguments", len(pos))
		}
		s, err := findSession(st, *out, pos[0])
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		if *asJSON {
			if code := printJSON(st, c.Name, s.Manifest); code != ExitOK {
				return code
			}
		} else {
			writeManifest(st.Stdout, s)
		}
		if *verify {
			problems := output.Verify(s.Dir, s.Manifest)
			for _, p := range problems {
				fmt.Fprintf(st.Stderr, "dafscript show: %s\n", p)
			}
			if len(problems) > 0 {
				return ExitError
			}
			fmt.Fprintf(st.Stderr, "all %d files match the manifest\n", len(s.Manifest.Files))
		}
		return ExitOK
	}
	return c
}

func findSession(st *State, out, ref string) (output.SessionInfo, error) {
	// A folder path works wherever the output root is.
	if p, err := absPath(st, ref); err == nil {
		if _, err := os.Stat(filepath.Join(p, output.ManifestName)); err == nil {
			return output.NewManager(filepath.Dir(filepath.Dir(p))).Find(p)
		}
	}
	m, err := outManager(st, out)
	if err != nil {
		return output.SessionInfo{}, err
	}
	return m.Find(ref)
}

func writeManifest(w io.Writer, s output.SessionInfo) {
	m := s.Manifest
	line := func(k, v string) { fmt.Fprintf(w, "%-10s %s\n", k, v) }
	line("session", s.Ref())
	line("folder", s.Dir)
	line("status", statusText(m))
	line("started", timeText(m.StartTime)+" UTC")
	if m.EndTime != nil {
		line("ended", fmt.Sprintf("%s UTC (%s)", timeText(*m.EndTime), m.EndTime.Sub(m.StartTime).Round(time.Millisecond)))
	}
	if m.Error != "" {
		line("error", m.Error)
	}
	line("dafscript", orDash(m.DafscriptVersion))
	script := orDash(m.ScriptPath)
	if m.ScriptSHA256 != "" {
		script += " (sha256 " + m.ScriptSHA256 + ")"
	}
	line("script", script)
	line("seed", fmt.Sprint(m.Seed))
	if len(m.Vars) > 0 {
		names := slices.Sorted(maps.Keys(m.Vars))
		var parts []string
		for _, k := range names {
			parts = append(parts, k+"="+m.Vars[k])
		}
		line("vars", strings.Join(parts, " "))
	}
	if len(m.Args) > 0 {
		b, _ := json.Marshal(m.Args) // map keys sorted
		line("args", string(b))
	}
	if len(m.Steps) > 0 {
		fmt.Fprintf(w, "steps (%d):\n", len(m.Steps))
		t := newTable(w)
		t.Header("step", "status", "seed", "args", "error")
		for _, s := range m.Steps {
			b, _ := json.Marshal(s.Args)
			t.Append(s.Dir, string(s.Status), fmt.Sprint(s.Seed), string(b), orDash(s.Error))
		}
		t.Render()
	}
	fmt.Fprintf(w, "files (%d):\n", len(m.Files))
	t := newTable(w)
	t.Header("name", "size", "sha-256")
	for _, f := range m.Files {
		t.Append(f.Name, fmt.Sprint(f.Size), f.SHA256)
	}
	if len(m.Files) > 0 {
		t.Render()
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func reportCmd() *Command {
	c := &Command{
		Name:    "report",
		Usage:   "dafscript report [--out DIR] [-o FILE] [--markdown] SESSION",
		Summary: "build the HTML report of a finished session",
		Help: `Reads the result files of a session (comparison.json, mission_analysis.json,
the training result ...) and writes one self-contained HTML report of them:
ranked tables, charts with confidence intervals, the mission map, learning
curves (docs/reports.md shows each). It goes to
DIR/reports/<new session>/report.html, or to FILE with -o; the path is
printed. --markdown prints Markdown leaderboards to stdout instead.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		out := outFlag(fs)
		file := fs.String("o", "", "write the report to `FILE` instead of a new reports session")
		md := fs.Bool("markdown", false, "print Markdown to stdout instead of writing HTML")
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) != 1 {
			return usageError(st, c, "want one SESSION ('dafscript sessions' lists them), got %d arguments", len(pos))
		}
		if *md && *file != "" {
			return usageError(st, c, "-o and --markdown exclude each other")
		}
		s, err := findSession(st, *out, pos[0])
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		if s.Manifest.Status == output.StatusRunning && !s.Manifest.Stale() {
			return runFailed(st, c.Name, fmt.Errorf("session %s is still running; build its report when it is done", s.Ref()))
		}
		if s.Manifest.Status != output.StatusDone {
			fmt.Fprintf(st.Stderr, "dafscript report: warning: session %s is %s; its results may be incomplete\n", s.Ref(), statusText(s.Manifest))
		}
		kinds, vals, err := sessionResults(s)
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		if *md {
			for i, v := range vals {
				text, err := report.Markdown(v)
				if err != nil {
					return runFailed(st, c.Name, err)
				}
				if i > 0 {
					fmt.Fprintln(st.Stdout)
				}
				fmt.Fprint(st.Stdout, text)
			}
			return ExitOK
		}
		o := report.ExportOptions{Title: sessionTitle(s, vals), Generator: st.Version, Meta: sessionMeta(s), Kinds: kinds, Values: vals, Name: "report.html"}
		var written string
		if *file != "" {
			if o.Path, err = absPath(st, *file); err == nil {
				written, err = o.Write(nil)
			}
		} else {
			written, err = writeReportSession(st, c, *out, s, o)
		}
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		fmt.Fprintln(st.Stdout, written)
		return ExitOK
	}
	return c
}

// sessionResults decodes the session's JSON files that a report kind
// recognises, in the manifest's (name) order.
func sessionResults(s output.SessionInfo) (kinds []string, vals []any, err error) {
	var seen []string
	for _, f := range s.Manifest.Files {
		if path.Ext(f.Name) != ".json" {
			continue
		}
		seen = append(seen, f.Name)
		data, err := os.ReadFile(filepath.Join(s.Dir, filepath.FromSlash(f.Name)))
		if err != nil {
			return nil, nil, err
		}
		kind, v, ok, err := report.DecodeJSON(data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		if ok {
			kinds, vals = append(kinds, kind), append(vals, v)
		}
	}
	if len(vals) == 0 {
		msg := fmt.Sprintf("session %s holds no result a report can show", s.Ref())
		if len(seen) > 0 {
			msg += " (its JSON files: " + strings.Join(seen, ", ") + ")"
		}
		return nil, nil, errors.New(msg + "; reports cover " + strings.Join(report.Kinds(), ", "))
	}
	return kinds, vals, nil
}

func sessionTitle(s output.SessionInfo, vals []any) string {
	if len(vals) == 1 {
		return report.Title(vals[0])
	}
	return fmt.Sprintf("Session %s", s.Ref())
}

func sessionMeta(s output.SessionInfo) []report.Meta {
	m := s.Manifest
	meta := []report.Meta{{Key: "Session", Value: s.Ref()}, {Key: "Status", Value: statusText(m)}, {Key: "Started", Value: timeText(m.StartTime) + " UTC"}}
	meta = append(meta, report.RunMeta(m.ScriptPath, m.ScriptSHA256, &m.Seed, m.Vars)...)
	if m.DafscriptVersion != "" {
		meta = append(meta, report.Meta{Key: "Produced by", Value: m.DafscriptVersion})
	}
	return meta
}

// writeReportSession records the report in a new reports session whose
// manifest names the session it was built from.
func writeReportSession(st *State, c *Command, out string, src output.SessionInfo, o report.ExportOptions) (string, error) {
	r, err := opRun(st, c, out, 1)
	if err != nil {
		return "", err
	}
	m := src.Manifest
	r.Info = output.RunInfo{Version: st.Version, Vars: m.Vars, ScriptPath: m.ScriptPath, ScriptSHA256: m.ScriptSHA256}
	p, _, err := op.Do(r, report.SessionOperation, op.Call[report.ExportOptions]{Options: o, Seed: m.Seed,
		Args: map[string]any{"command": "report", "source": src.Ref(), "kinds": o.Kinds}})
	return p, err
}

// resumeFolder resolves --resume SESSION to the folder whose journals a
// run resumes: a session folder or a step folder of one (a path), or
// FOLDER/ID or an ID under the output folder out.
func resumeFolder(st *State, out, ref string) (string, error) {
	root, err := absPath(st, out)
	if err != nil {
		return "", err
	}
	wd, err := st.Getwd()
	if err != nil {
		return "", err
	}
	return output.NewManager(root).FindFolder(ref, wd)
}
