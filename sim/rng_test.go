package sim

import (
	"slices"
	"testing"
)

// Intn's stream for a seed is pinned: every episode, bootstrap and
// shuffle depends on it, so a faster product (bits.Mul64 for the
// hand-written one) must not change a single draw.
func TestIntnStreamPinned(t *testing.T) {
	r := NewRNG(42)
	var got []int
	for _, n := range []int{1, 2, 3, 7, 30, 60, 1000, 1 << 40, 1<<62 + 12345} {
		for range 3 {
			got = append(got, r.Intn(n))
		}
	}
	want := []int{0, 0, 0, 1, 1, 1, 2, 2, 2, 4, 4, 2, 24, 9, 21, 52, 37, 51, 707, 707, 92, 196837661355, 479602952852, 661922141272, 1840024857190167666, 3639182552279824187, 2928682346646279070}
	if !slices.Equal(got, want) {
		t.Fatalf("Intn stream of seed 42:\n got %v\nwant %v", got, want)
	}
}
