package sim

// Objects are configuration, not code: a station is a list of protocols,
// a chest a table of transfers. Missions build a GameConfig, variants
// transform it, and NewEnv turns it into a running episode.

// Protocol is one recipe of a station.
type Protocol struct {
	// Vibes are the non-default vibe ids the adjacent agents must show for
	// this protocol to match, in any order (the engine sorts them); empty
	// means vibe-less.
	Vibes     []int
	MinAgents int
	Inputs    [NumResources]int
	Outputs   [NumResources]int
	Cooldown  int
}

// StationConfig configures every station except the chest (an
// "assembler" in the engine's sense).
type StationConfig struct {
	Protocols         []Protocol
	MaxUses           int // 0 = unlimited
	AllowPartialUsage bool
	Efficiency        int  // 100 = normal; informative, protocols already reflect it
	ClipImmune        bool // the clipper never picks it
	StartClipped      bool
}

// ChestConfig configures chests.
type ChestConfig struct {
	Capacity int // per resource, at most 255
	// DefaultDeposit: resources the default vibe deposits (up to 255 each).
	DefaultDeposit []Resource
	// Transfers maps a vibe id to per-resource deltas seen from the chest:
	// positive deposits into the chest, negative withdraws from it.
	Transfers map[int][NumResources]int
}

// AgentConfig configures every agent.
type AgentConfig struct {
	InitialEnergy int // 100
	EnergyLimit   int // 100
	HeartLimit    int // 1
	CargoLimit    int // carbon+oxygen+germanium+silicon, 100
	GearLimit     int // decoder+modulator+resonator+scrambler, 5
	EnergyRegen   int // per step, after actions
	MoveCost      int // 2
	ChargerGift   int // energy a `charger`-vibing agent gives when it moves into another (20)
}

// ClipConfig configures the clipper.
type ClipConfig struct {
	Period int // 0 disables the clipper (no random draw at all)
}

// RewardConfig selects the reward.
type RewardConfig struct {
	// HeartChorus pays heart.gained, chest.heart.deposited,
	// chest.heart.withdrawn and inventory diversity instead of the
	// team-shared hearts-in-chests reward.
	HeartChorus bool
	// RecipeNeed, when any amount is set, adds potential-based shaping
	// toward one heart's inputs to whichever reward is on: each agent's
	// potential is the mean, over the resources with a need, of
	// min(held, need)/need (1 when it holds a whole recipe), and every
	// step pays its change. A heart's inputs paid into the assembler
	// take back what gathering them paid, so the shaping moves reward
	// earlier without changing what a whole episode is worth for hearts.
	RecipeNeed [NumResources]int
}

// Map is a grid of object names in row-major order. Names: "empty" (or
// ""), "wall", "agent", "chest", "assembler", "charger",
// "<resource>_extractor".
type Map struct {
	Name          string
	Width, Height int
	Cells         []string
}

// At returns the object name at (row, col).
func (m *Map) At(row, col int) string { return m.Cells[row*m.Width+col] }

// GameConfig is everything NewEnv needs to run an episode.
type GameConfig struct {
	Name      string
	Map       *Map
	NumAgents int // must equal the number of "agent" cells of Map
	MaxSteps  int
	Agent     AgentConfig
	Stations  map[string]*StationConfig // by object name
	Chest     ChestConfig
	Clip      ClipConfig
	Reward    RewardConfig
}
