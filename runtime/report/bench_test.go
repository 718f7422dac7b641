package report

import (
	"encoding/json"
	"strings"
	"testing"
)

// Baseline: encoding the same comparison as JSON.
func BenchmarkComparisonJSON(b *testing.B) {
	r := fixtureReport()
	for b.Loop() {
		if _, err := json.Marshal(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkComparisonHTML(b *testing.B) {
	r := fixtureReport()
	for b.Loop() {
		if _, err := HTML(r, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrainingHTML(b *testing.B) {
	r := fixtureTraining()
	for b.Loop() {
		if _, err := HTML(r, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// A 500x500 map with a wall border and scattered stations.
func BenchmarkMapSVG500(b *testing.B) {
	grid := make([]string, 500)
	for y := range grid {
		row := []byte(strings.Repeat(".", 500))
		row[0], row[499] = '#', '#'
		if y == 0 || y == 499 {
			row = []byte(strings.Repeat("#", 500))
		}
		for x := 7; x < 493; x += 37 {
			if y%29 == 3 {
				row[x] = "cogs+&="[(x+y)%7]
			}
		}
		grid[y] = string(row)
	}
	b.ResetTimer()
	for b.Loop() {
		mapSVG(grid, "big")
	}
}
