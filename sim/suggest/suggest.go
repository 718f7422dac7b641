// Package suggest finds the names closest to a misspelt one, for
// "did you mean" hints in error messages.
package suggest

import (
	"sort"
	"strings"
)

// Distance is the optimal-string-alignment edit distance between a and b
// (insertions, deletions, substitutions and swaps of two adjacent
// characters each cost 1), counted in runes.
func Distance(a, b string) int {
	s, t := []rune(a), []rune(b)
	if len(s) == 0 {
		return len(t)
	}
	if len(t) == 0 {
		return len(s)
	}
	// Three rolling rows: two back (for swaps), previous, current.
	prev2 := make([]int, len(t)+1)
	prev := make([]int, len(t)+1)
	cur := make([]int, len(t)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(s); i++ {
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(t)]
}

// Cutoff is the largest distance Closest accepts for a name: a third of
// its length, at least 2, so that short names only match close typos.
func Cutoff(name string) int {
	return max(2, len([]rune(name))/3)
}

// Closest returns up to max candidates that look like name, best first:
// those within Cutoff(name) edits (case-insensitive), then those that
// contain name as a substring (for names of at least 3 characters), ties
// broken alphabetically. Exact matches are included. max <= 0 means no
// limit. It returns nil when nothing is close.
func Closest(name string, candidates []string, max int) []string {
	type scored struct {
		name   string
		substr bool
		dist   int
	}
	lname := strings.ToLower(name)
	cut := Cutoff(name)
	seen := make(map[string]bool, len(candidates))
	var hits []scored
	for _, c := range candidates {
		if seen[c] {
			continue
		}
		seen[c] = true
		lc := strings.ToLower(c)
		d := Distance(lname, lc)
		switch {
		case d <= cut:
			hits = append(hits, scored{c, false, d})
		case len([]rune(lname)) >= 3 && strings.Contains(lc, lname):
			hits = append(hits, scored{c, true, d})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if a.substr != b.substr {
			return !a.substr
		}
		if a.dist != b.dist {
			return a.dist < b.dist
		}
		return a.name < b.name
	})
	if max > 0 && len(hits) > max {
		hits = hits[:max]
	}
	if len(hits) == 0 {
		return nil
	}
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.name
	}
	return out
}

// Hint formats Closest's answer for an error message: " (did you mean a,
// b or c?)", or "" when nothing is close.
func Hint(name string, candidates []string, max int) string {
	c := Closest(name, candidates, max)
	switch len(c) {
	case 0:
		return ""
	case 1:
		return " (did you mean " + c[0] + "?)"
	}
	return " (did you mean " + strings.Join(c[:len(c)-1], ", ") + " or " + c[len(c)-1] + "?)"
}
