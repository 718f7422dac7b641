package suggest

import (
	"slices"
	"testing"
)

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"abc", "abc", 0},
		{"kitten", "sitting", 3},
		{"training", "traning", 1},          // deletion
		{"heart_chorus", "heart_chrous", 1}, // adjacent swap
		{"ab", "ba", 1},
		{"ca", "abc", 3},      // OSA, not full Damerau (which gives 2)
		{"héllo", "hello", 1}, // runes, not bytes
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	missions := []string{
		"assembler_2", "training_facility_1", "training_facility_2",
		"training_facility_3", "training_facility.harvest",
		"training_facility.repair", "hello_world.open_world", "machina_1.open_world",
	}
	tests := []struct {
		name string
		max  int
		want []string
	}{
		{"traning_facility_1", 3, []string{"training_facility_1", "training_facility_2", "training_facility_3"}},
		{"traning_facility_1", 1, []string{"training_facility_1"}},
		{"Training_Facility_2", 1, []string{"training_facility_2"}},
		{"asembler_2", 0, []string{"assembler_2"}},
		{"open_world", 0, []string{"machina_1.open_world", "hello_world.open_world"}}, // shorter first
		{"repair", 0, []string{"training_facility.repair"}},
		{"xyz", 0, nil},
		{"zz", 0, nil},
		{"", 0, nil},
	}
	for _, tt := range tests {
		if got := Closest(tt.name, missions, tt.max); !slices.Equal(got, tt.want) {
			t.Errorf("Closest(%q, max=%d) = %q, want %q", tt.name, tt.max, got, tt.want)
		}
	}
}

func TestClosestCutoff(t *testing.T) {
	// Short names accept two edits, longer ones a third of their length.
	cands := []string{"ab", "abcd", "abcdefghijkl"}
	if got := Closest("xy", cands, 0); !slices.Equal(got, []string{"ab"}) {
		t.Errorf("Closest(xy) = %q", got)
	}
	if got := Closest("abcdefxxxxkl", cands, 0); !slices.Equal(got, []string{"abcdefghijkl"}) {
		t.Errorf("4 edits in 12 runes should match: %q", got)
	}
	if got := Closest("abcxxxxxxjkl", cands, 0); got != nil {
		t.Errorf("6 edits in 12 runes should not match: %q", got)
	}
}

func TestClosestDeduplicates(t *testing.T) {
	got := Closest("pack_rat", []string{"pack_rat", "pack_rat", "pack_rats"}, 0)
	if !slices.Equal(got, []string{"pack_rat", "pack_rats"}) {
		t.Errorf("got %q", got)
	}
}

func TestHint(t *testing.T) {
	c := []string{"dark_side", "mined_out", "pack_rat"}
	tests := []struct{ name, want string }{
		{"dark_sid", " (did you mean dark_side?)"},
		{"nothing_like_it", ""},
	}
	for _, tt := range tests {
		if got := Hint(tt.name, c, 3); got != tt.want {
			t.Errorf("Hint(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := Hint("ab", []string{"aa", "ac", "ad"}, 3); got != " (did you mean aa, ac or ad?)" {
		t.Errorf("three-way hint = %q", got)
	}
}

func FuzzDistance(f *testing.F) {
	f.Add("kitten", "sitting")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, a, b string) {
		d := Distance(a, b)
		la, lb := len([]rune(a)), len([]rune(b))
		if d < abs(la-lb) || d > max(la, lb) {
			t.Fatalf("Distance(%q, %q) = %d outside [%d, %d]", a, b, d, abs(la-lb), max(la, lb))
		}
		if (d == 0) != (string([]rune(a)) == string([]rune(b))) {
			t.Fatalf("Distance(%q, %q) = %d", a, b, d)
		}
	})
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
