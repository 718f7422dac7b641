package report

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromiumPath finds the browser: $DAF_CHROMIUM, or Debian's chromium
// package (/usr/bin/chromium), or another Chromium-family binary on PATH.
func chromiumPath() string {
	if p := os.Getenv("DAF_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// artifactsDir is where the test leaves what a person may want to look
// at: $DAF_ARTIFACTS, or a new folder under the system's temp dir (kept
// after the test).
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("DAF_ARTIFACTS")
	if dir == "" {
		d, err := os.MkdirTemp("", "daf-artifacts-")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	dir = filepath.Join(dir, "report")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--no-first-run", "--disable-extensions", "--hide-scrollbars", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// TestReportInChromium opens a comparison report in headless Chromium and
// checks what a person would see: the title, one ranked row per policy,
// the charts, and a screenshot that shows the policies' colours. Without
// Chromium it skips, except under CI=true, where it fails.
func TestReportInChromium(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found and CI=true: install it (apt-get install chromium) or set DAF_CHROMIUM")
		}
		t.Skip("chromium not found (apt-get install chromium, or set DAF_CHROMIUM)")
	}
	dir := artifactsDir(t)
	r := fixtureReport()
	page, err := HTML(r, "dafscript test")
	if err != nil {
		t.Fatal(err)
	}
	htmlPath := filepath.Join(dir, "comparison_report.html")
	if err := os.WriteFile(htmlPath, page, 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + htmlPath

	// The DOM as the browser built it.
	dom := runChromium(t, bin, "--dump-dom", url)
	root, err := parseHTML(dom)
	if err != nil {
		t.Fatalf("parsing the DOM chromium dumped: %v", err)
	}
	titles := root.find(byTag("title"))
	if len(titles) == 0 || titles[0].Text != Title(r) {
		t.Errorf("title: %v, want %q", titles, Title(r))
	}
	if h1 := root.find(byTag("h1")); len(h1) != 1 || h1[0].Text != Title(r) {
		t.Errorf("h1: %v", h1)
	}
	ranked := root.find(func(n *node) bool { return n.Tag == "table" && n.Attr["id"] == "ranked-table" })
	if len(ranked) != 1 {
		t.Fatalf("%d ranked tables in the DOM", len(ranked))
	}
	rows := ranked[0].find(func(n *node) bool { return n.Tag == "tr" && n.hasClass("policy-row") })
	if len(rows) != len(r.Policies) {
		t.Errorf("%d ranked rows, want one per policy (%d)", len(rows), len(r.Policies))
	}
	for _, p := range r.Policies {
		found := false
		for _, row := range rows {
			found = found || strings.Contains(row.Text, " "+p+" ")
		}
		if !found {
			t.Errorf("policy %s has no ranked row", p)
		}
	}
	charts := root.find(func(n *node) bool { return n.Tag == "svg" && n.hasClass("chart") })
	if len(charts) < 2 {
		t.Errorf("%d charts in the DOM, want at least 2", len(charts))
	}
	for _, c := range charts {
		if len(c.find(byTag("path"))) < 10 || len(c.find(byTag("text"))) < 3 {
			t.Errorf("chart %q has too little drawn in it", c.Attr["aria-label"])
		}
	}

	// What it looks like.
	shot := filepath.Join(dir, "comparison_report.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,2000", url)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	t.Logf("screenshot: %s (report: %s)", shot, htmlPath)
	for _, p := range screenshotProblems(img, r.Policies) {
		t.Error(p)
	}

	// Printing works (the print style sheet applies) and gives pages.
	pdf := filepath.Join(dir, "comparison_report.pdf")
	runChromium(t, bin, "--print-to-pdf="+pdf, "--no-pdf-header-footer", url)
	data, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatalf("no PDF: %v", err)
	}
	// Page objects, when not inside compressed object streams.
	pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(data, -1))
	if !bytes.HasPrefix(data, []byte("%PDF-")) || len(data) < 20000 {
		t.Errorf("printed PDF looks empty: %d bytes", len(data))
	}
	t.Logf("printed: %s (%d bytes, %d pages)", pdf, len(data), pages)
}

// checkScreenshot requires a page that is not blank: enough ink, enough
// distinct colours, and each policy's colour (the swatches and chart dots
// are drawn in it) somewhere on screen.
func screenshotProblems(img image.Image, policies []string) []string {
	var probs []string
	b := img.Bounds()
	if b.Dx() != 1280 || b.Dy() != 2000 {
		probs = append(probs, fmt.Sprintf("screenshot is %dx%d, want 1280x2000", b.Dx(), b.Dy()))
	}
	colours := map[[3]uint8]int{}
	ink := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}
			colours[c]++
			if c[0] < 235 || c[1] < 235 || c[2] < 235 {
				ink++
			}
		}
	}
	total := b.Dx() * b.Dy()
	if frac := float64(ink) / float64(total); frac < 0.03 {
		probs = append(probs, fmt.Sprintf("screenshot nearly blank: %.2f%% of pixels are not white", 100*frac))
	}
	if len(colours) < 64 {
		probs = append(probs, fmt.Sprintf("screenshot has only %d distinct colours", len(colours)))
	}
	for i, p := range policies {
		want := rgb(policyColor(i))
		wr, wg, wb, _ := want.RGBA()
		n := 0
		for c, count := range colours {
			if absDiff(c[0], uint8(wr>>8)) <= 6 && absDiff(c[1], uint8(wg>>8)) <= 6 && absDiff(c[2], uint8(wb>>8)) <= 6 {
				n += count
			}
		}
		if n < 50 {
			probs = append(probs, fmt.Sprintf("policy %s: its colour %s covers %d pixels, want at least 50", p, policyColor(i), n))
		}
	}
	return probs
}

// The screenshot check itself must reject a blank or colourless page.
func TestScreenshotProblems(t *testing.T) {
	white := image.NewRGBA(image.Rect(0, 0, 1280, 2000))
	draw.Draw(white, white.Bounds(), image.White, image.Point{}, draw.Src)
	if p := screenshotProblems(white, []string{"a"}); len(p) != 3 {
		t.Errorf("blank page: %v", p)
	}
	grey := image.NewRGBA(image.Rect(0, 0, 1280, 2000))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i * 7 % 256)
	}
	if p := screenshotProblems(grey, []string{"a"}); len(p) != 1 || !strings.Contains(p[0], "policy a") {
		t.Errorf("noise without the policy colour: %v", p)
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}
