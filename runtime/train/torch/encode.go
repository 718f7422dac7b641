package torch

import (
	"fmt"

	"github.com/dafscript/dafscript/sim"
)

// Observation encodings: what the network's input bytes are.
//
//   - "tokens" (the default): the simulator's 200 [location, feature,
//     value] tokens as they are, 600 bytes. The location byte packs the
//     row in its high nibble and the column in its low one, and the
//     feature is an id, so after the /255 scaling a column step moves
//     the input by 1/255 and feature 12 sits between 11 and 13: an MLP
//     has to untangle both.
//   - "grid": the tokens written into an egocentric 11x11 box with one
//     input per (cell, feature), 11*11*41 = 4961 inputs, as CoGames'
//     box observation shim does: each feature has its own input at each
//     position, and the value is the byte itself. The network still
//     reads the 600 token bytes: its first layer adds up the weights of
//     the cells and features the tokens name, which costs what the
//     tokens hold rather than 4961 inputs.
var Encodings = []string{"tokens", "grid"}

// GridSize is the first layer's inputs with the "grid" encoding.
const GridSize = sim.ObsWindow * sim.ObsWindow * sim.NumFeatures

// SetEncoding sets the observation encoding and the input size it gives.
func (c *Config) SetEncoding(name string) error {
	switch name {
	case "", "tokens":
		c.Encoding, c.Obs = "", sim.ObsSize
	case "grid":
		c.Encoding, c.Obs = "grid", GridSize
	default:
		return fmt.Errorf("unknown observation encoding %q (want tokens or grid)", name)
	}
	return nil
}

// InputBytes is the size of one agent's network input: with the grid
// encoding, the observation's tokens as the simulator writes them (the
// first layer places them in the box itself); else one byte per input.
func (c Config) InputBytes() int {
	if c.Encoding == "grid" {
		return sim.ObsSize
	}
	return c.Obs
}

// EncodingName is "tokens" or "grid".
func (c Config) EncodingName() string {
	if c.Encoding == "" {
		return "tokens"
	}
	return c.Encoding
}

// encodeGrid writes one observation as the box [row][col][feature] that
// the grid encoding's first layer reads (GridSize bytes); tokens end at the
// first location 0xFF (the unused tail). The network never builds the box:
// dt.cpp's grid_first sums the weight columns of the tokens instead, and
// the tests hold it to a dense layer over this box.
func encodeGrid(dst, obs []uint8) {
	clear(dst)
	for k := 0; k+sim.ObsTokenSize <= len(obs); k += sim.ObsTokenSize {
		loc, feat, val := obs[k], obs[k+1], obs[k+2]
		if loc == 0xFF {
			break
		}
		r, col := int(loc>>4), int(loc&15)
		if r >= sim.ObsWindow || col >= sim.ObsWindow || int(feat) >= sim.NumFeatures {
			continue
		}
		dst[(r*sim.ObsWindow+col)*sim.NumFeatures+int(feat)] = val
	}
}
