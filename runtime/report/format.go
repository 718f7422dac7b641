package report

import (
	"bytes"
	"html/template"
	"math"
	"strconv"
	"strings"
	"sync"
)

// num formats a statistic for people: 4 significant digits, no exponent
// for ordinary magnitudes, a dash for an undefined value.
func num(x float64) string {
	switch {
	case math.IsNaN(x):
		return "—"
	case math.IsInf(x, 1):
		return "∞"
	case math.IsInf(x, -1):
		return "−∞"
	}
	if x == 0 {
		return "0"
	}
	ax := math.Abs(x)
	if ax >= 1e6 || ax < 1e-3 {
		return strconv.FormatFloat(x, 'e', 2, 64)
	}
	// Round to 4 significant digits, then drop trailing zeros.
	digits := 3 - int(math.Floor(math.Log10(ax)))
	if digits < 0 {
		digits = 0
	}
	s := strconv.FormatFloat(x, 'f', digits, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// signed is num with an explicit + for positive values.
func signed(x float64) string {
	s := num(x)
	if x > 0 && !math.IsInf(x, 1) {
		return "+" + s
	}
	return s
}

// pval formats a p-value.
func pval(p float64) string {
	switch {
	case math.IsNaN(p):
		return "—"
	case p < 0.0001:
		return "<0.0001"
	}
	return strconv.FormatFloat(p, 'f', 4, 64)
}

// pIs says "p = 0.0123" or "p < 0.0001".
func pIs(p float64) string {
	s := pval(p)
	if strings.HasPrefix(s, "<") {
		return "p " + s[:1] + " " + s[1:]
	}
	return "p = " + s
}

// pct formats a fraction as a percentage.
func pct(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return num(100*x) + "%"
}

// ci formats a confidence interval.
func ci(lo, hi float64) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return "—"
	}
	return "[" + num(lo) + ", " + num(hi) + "]"
}

// stars marks a significant difference: * at the test level, ** below
// 0.01 and *** below 0.001 (Holm-adjusted p).
func stars(significant bool, holmP float64) string {
	if !significant {
		return ""
	}
	switch {
	case holmP < 0.001:
		return "***"
	case holmP < 0.01:
		return "**"
	}
	return "*"
}

// execute runs a section template.
func execute(t func() *template.Template, data any) (template.HTML, error) {
	var b bytes.Buffer
	if err := t().Execute(&b, data); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil
}

var funcs = template.FuncMap{
	"num":    num,
	"signed": signed,
	"pval":   pval,
	"ci":     ci,
	"color":  policyColor,
	"add1":   func(i int) int { return i + 1 },
	"pct":    pct,
	"css":    func(s string) template.CSS { return template.CSS(s) },
}

// newTemplate returns the template, parsed on first use: parsing every
// report template at start-up would cost each dafscript run a millisecond
// or two, though few runs write a report.
func newTemplate(name, text string) func() *template.Template {
	return sync.OnceValue(func() *template.Template {
		return template.Must(template.New(name).Funcs(funcs).Parse(text))
	})
}

// mdEscape makes s safe inside a Markdown table cell.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", "").Replace(s)
}

// mdTable renders a GitHub-flavoured Markdown table; align holds "l" or
// "r" per column.
func mdTable(header []string, align string, rows [][]string) string {
	var b strings.Builder
	b.WriteString("|")
	for _, h := range header {
		b.WriteString(" " + mdEscape(h) + " |")
	}
	b.WriteString("\n|")
	for i := range header {
		if i < len(align) && align[i] == 'r' {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("|")
		for _, c := range r {
			b.WriteString(" " + mdEscape(c) + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}
