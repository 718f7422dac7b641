// Package sim simulates Cogs vs Clips as specified in GAME.md: the grid,
// agents, stations, actions, observations, rewards and stats. It is pure Go
// and imports nothing else of dafscript.
package sim

import (
	_ "embed"
	"strings"
)

// Resource ids, in the order of the game's inventory.
type Resource int

const (
	Energy Resource = iota
	Carbon
	Oxygen
	Germanium
	Silicon
	Heart
	Decoder
	Modulator
	Resonator
	Scrambler
	NumResources = 10
)

var resourceNames = [NumResources]string{
	"energy", "carbon", "oxygen", "germanium", "silicon",
	"heart", "decoder", "modulator", "resonator", "scrambler",
}

func (r Resource) String() string {
	if r < 0 || int(r) >= NumResources {
		return "resource(?)"
	}
	return resourceNames[r]
}

// ResourceNames returns the resource names in id order.
func ResourceNames() []string { return append([]string(nil), resourceNames[:]...) }

// ParseResource maps a resource name to its id.
func ParseResource(name string) (Resource, bool) {
	for i, n := range resourceNames {
		if n == name {
			return Resource(i), true
		}
	}
	return 0, false
}

// Observation layout.
const (
	ObsTokens    = 200
	ObsTokenSize = 3
	ObsSize      = ObsTokens * ObsTokenSize // bytes per agent
	ObsWindow    = 11                       // the window is ObsWindow x ObsWindow
	ObsCenter    = 0x55                     // location byte of the observer
)

// Observation feature ids.
const (
	FeatGroup             = 0
	FeatFrozen            = 1
	FeatEpisodeCompletion = 2
	FeatLastAction        = 3
	FeatLastReward        = 4
	FeatVibe              = 5
	FeatCompass           = 6
	FeatTag               = 7
	FeatCooldownRemaining = 8
	FeatClipped           = 9
	FeatRemainingUses     = 10
	FeatInventory         = 11 // + resource id
	FeatProtocolInput     = 21 // + resource id
	FeatProtocolOutput    = 31 // + resource id
	NumFeatures           = 41
)

// Actions: 0 noop, 1..4 moves, then one change_vibe action per vibe.
const (
	ActionNoop      = 0
	ActionMoveNorth = 1
	ActionMoveSouth = 2
	ActionMoveWest  = 3
	ActionMoveEast  = 4
	ActionVibeBase  = 5
	NumVibes        = 152
	NumActions      = ActionVibeBase + NumVibes // 157
	VibeDefault     = 0
)

//go:embed vibes.txt
var vibesTxt string

var vibeNames = func() []string {
	var names []string
	for _, l := range strings.Split(vibesTxt, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			names = append(names, l)
		}
	}
	if len(names) != NumVibes {
		panic("sim: vibes.txt must hold 152 names")
	}
	return names
}()

// VibeNames returns the 152 vibe names in action order.
func VibeNames() []string { return append([]string(nil), vibeNames...) }

// VibeName returns the name of vibe id v.
func VibeName(v int) string {
	if v < 0 || v >= NumVibes {
		return "vibe(?)"
	}
	return vibeNames[v]
}

// VibeID maps a vibe name to its id.
func VibeID(name string) (int, bool) {
	for i, n := range vibeNames {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// ActionName returns the name of action id a ("noop", "move_north", "change_vibe_heart_a", ...).
func ActionName(a int) string {
	switch {
	case a == ActionNoop:
		return "noop"
	case a == ActionMoveNorth:
		return "move_north"
	case a == ActionMoveSouth:
		return "move_south"
	case a == ActionMoveWest:
		return "move_west"
	case a == ActionMoveEast:
		return "move_east"
	case a >= ActionVibeBase && a < NumActions:
		return "change_vibe_" + vibeNames[a-ActionVibeBase]
	}
	return "action(?)"
}

// VibeAction returns the action id that changes to vibe v.
func VibeAction(v int) int { return ActionVibeBase + v }
