package torch

import (
	"testing"

	"github.com/dafscript/dafscript/sim"
)

func TestEncodeGrid(t *testing.T) {
	at := func(r, c, f int) int { return (r*sim.ObsWindow+c)*sim.NumFeatures + f }
	for _, tc := range []struct {
		name   string
		tokens [][3]uint8
		want   map[int]uint8 // every other byte is 0
	}{
		{"empty", nil, nil},
		{"centre inventory and a wall", [][3]uint8{{0x55, sim.FeatInventory + 2, 7}, {0x05, sim.FeatTag, 3}},
			map[int]uint8{at(5, 5, sim.FeatInventory+2): 7, at(0, 5, sim.FeatTag): 3}},
		{"row and column apart", [][3]uint8{{0x3a, sim.FeatTag, 1}, {0xa3, sim.FeatTag, 2}},
			map[int]uint8{at(3, 10, sim.FeatTag): 1, at(10, 3, sim.FeatTag): 2}},
		{"outside the window or unknown feature", [][3]uint8{{0xb0, sim.FeatTag, 1}, {0x0b, sim.FeatTag, 1}, {0x00, sim.NumFeatures, 1}}, nil},
	} {
		obs := make([]uint8, sim.ObsSize)
		for i := range obs {
			obs[i] = 0xFF
		}
		for k, tok := range tc.tokens {
			copy(obs[3*k:], tok[:])
		}
		var c Config
		if err := c.SetEncoding("grid"); err != nil {
			t.Fatal(err)
		}
		dst := make([]uint8, GridSize)
		for i := range dst {
			dst[i] = 9 // stale bytes must be cleared
		}
		encodeGrid(dst, obs)
		for i, v := range dst {
			if v != tc.want[i] {
				t.Errorf("%s: byte %d (cell %d, feature %d) = %d, want %d", tc.name, i, i/sim.NumFeatures, i%sim.NumFeatures, v, tc.want[i])
			}
		}
	}
	var c Config
	if err := c.SetEncoding("box"); err == nil || err.Error() != `unknown observation encoding "box" (want tokens or grid)` {
		t.Errorf("SetEncoding(box): %v", err)
	}
}
