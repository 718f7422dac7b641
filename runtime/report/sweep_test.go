package report

import (
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/config"
	"github.com/dafscript/dafscript/runtime/sweep"
)

// fixtureSweep is a small real sweep: TPE over a list, a log range and an
// int range, with the median pruner, one failing trial, and a known best.
func fixtureSweep(t *testing.T) *sweep.Result {
	t.Helper()
	o := sweep.Options{
		Name: "lr_entropy", Strategy: "tpe", NumTrials: 16, Seed: 3, Pruner: "median", Objective: "reward", Jobs: 2,
		Space: config.SearchSpace{
			{Name: "activation", Values: []any{"tanh", "relu"}},
			{Name: "learning_rate", Min: 1e-4, Max: 1e-2, Log: true, Type: "float"},
			{Name: "width", Min: 16, Max: 128, Type: "int"},
		},
	}
	r, err := sweep.Run(context.Background(), o, func(ctx context.Context, tr *sweep.TrialRun) (sweep.Outcome, error) {
		if tr.Number == 5 {
			return sweep.Outcome{}, errors.New("diverged")
		}
		lr, _ := tr.Params.Float("learning_rate")
		w, _ := tr.Params.Float("width")
		v := 3 - (lr-0.003)*(lr-0.003)*1e5 - (w-64)*(w-64)/2000
		if tr.Params["activation"] == "relu" {
			v -= 0.4
		}
		for step := 1; step <= 4; step++ {
			if tr.Report(step, v*float64(step)/4) {
				return sweep.Outcome{}, nil
			}
		}
		return sweep.Outcome{Value: v, MissionValues: []sweep.MissionValue{{Mission: "training_facility_1", Value: v}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSweepReport(t *testing.T) {
	r := fixtureSweep(t)
	if r.Count(sweep.StatusPruned) == 0 || r.Count(sweep.StatusFailed) != 1 {
		t.Fatalf("fixture should have pruned and failed trials: %d pruned, %d failed", r.Count(sweep.StatusPruned), r.Count(sweep.StatusFailed))
	}
	html := render(t, r)
	if string(render(t, *r)) != string(html) {
		t.Error("a Result and a *Result render differently")
	}
	if string(render(t, fixtureSweep(t))) != string(html) {
		t.Error("two renderings of the same sweep differ")
	}
	root, err := parseHTML(html)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sweep.outline.golden", outline(root))
	s := string(html)
	for _, want := range []string{"Optimisation history", "Parallel coordinates", "Parameter importance", "Best hyperparameters", `class="best"`, "<svg"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "url(", "src=", "zgotmplz"} {
		if strings.Contains(strings.ToLower(s), bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	md, err := Markdown(r)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sweep.md.golden", md)
}

func TestSweepReportFromJSON(t *testing.T) {
	r := fixtureSweep(t)
	data, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	kind, v, ok, err := DecodeJSON(data)
	if err != nil || !ok || kind != "sweep" {
		t.Fatalf("DecodeJSON: %q %v %v", kind, ok, err)
	}
	// The JSON lacks durations only, which the report does not show.
	if string(render(t, v)) != string(render(t, r)) {
		t.Error("the report from the JSON differs from the report from the result")
	}
}

func TestSweepReportEmpty(t *testing.T) {
	o := sweep.Options{Name: "none", Strategy: "random", NumTrials: 2, Seed: 1,
		Space: config.SearchSpace{{Name: "x", Min: 0, Max: 1, Type: "float"}}}
	r, err := sweep.Run(context.Background(), o, func(ctx context.Context, tr *sweep.TrialRun) (sweep.Outcome, error) {
		return sweep.Outcome{}, errors.New("no")
	})
	if err != nil {
		t.Fatal(err)
	}
	s := string(render(t, r))
	for _, want := range []string{"No trial has a value to plot", "Fewer than two complete trials", "Importance needs at least three"} {
		if !strings.Contains(s, want) {
			t.Errorf("empty sweep report lacks %q", want)
		}
	}
}

// TestSweepReportInChromium opens a sweep report in headless Chromium: the
// DOM has the title, the three charts and a row per trial; the screenshot
// is not blank and shows the trial colour and the highlight colour (the
// best-so-far line and the best quarter). Skips without Chromium, except
// under CI=true.
func TestSweepReportInChromium(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found and CI=true: install it (apt-get install chromium) or set DAF_CHROMIUM")
		}
		t.Skip("chromium not found (apt-get install chromium, or set DAF_CHROMIUM)")
	}
	r := fixtureSweep(t)
	dir := artifactsDir(t)
	htmlPath := filepath.Join(dir, "sweep_report.html")
	if err := os.WriteFile(htmlPath, render(t, r), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + htmlPath
	root, err := parseHTML(runChromium(t, bin, "--dump-dom", url))
	if err != nil {
		t.Fatal(err)
	}
	if titles := root.find(byTag("title")); len(titles) == 0 || titles[0].Text != Title(r) {
		t.Errorf("title %v, want %q", titles, Title(r))
	}
	if n := len(root.find(byTag("svg"))); n != 3 {
		t.Errorf("%d charts, want 3 (history, parallel coordinates, importance)", n)
	}
	if n := len(root.find(byTag("tr"))); n < len(r.Trials) {
		t.Errorf("%d table rows for %d trials", n, len(r.Trials))
	}
	shot := filepath.Join(dir, "sweep_report.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,2000", url)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// policyColor(0) is the trials' colour, policyColor(5) the highlight.
	for _, p := range screenshotProblems(img, []string{"complete trials", "-", "-", "-", "-", "best"}) {
		if !strings.Contains(p, "policy -:") {
			t.Error(p)
		}
	}
	t.Logf("screenshot: %s", shot)
}
