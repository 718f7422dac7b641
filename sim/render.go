package sim

import (
	"fmt"
	"strings"
)

var typeChars = [numTypes]byte{
	'@', // agent (never drawn: agents show their number)
	'&', // assembler
	'c', // carbon_extractor
	'+', // charger
	'=', // chest
	'g', // germanium_extractor
	'o', // oxygen_extractor
	's', // silicon_extractor
	'#', // wall
}

// AgentChar is the character that draws agent i: 0-9, then A-Z, then '@'.
func AgentChar(i int) byte {
	switch {
	case i < 10:
		return byte('0' + i)
	case i < 36:
		return byte('A' + i - 10)
	}
	return '@'
}

// Render draws the grid (walls #, stations by their map characters,
// clipped stations in upper case, agents by number), then one line per
// agent with its vibe, energy and inventory, and the chests' hearts.
func (e *Env) Render() string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %d/%d\n", e.step, e.maxSteps)
	for r := int32(0); r < e.height; r++ {
		for c := int32(0); c < e.width; c++ {
			id := e.grid[r*e.width+c]
			switch {
			case id == cellEmpty:
				b.WriteByte('.')
			case id == cellWall:
				b.WriteByte('#')
			default:
				o := e.objs[id]
				switch o.kind {
				case kindAgent:
					b.WriteByte(AgentChar(int(o.idx)))
				case kindChest:
					b.WriteByte('=')
				case kindStation:
					s := &e.stations[o.idx]
					ch := typeChars[s.typ.tag]
					if s.clipped && ch >= 'a' && ch <= 'z' {
						ch -= 'a' - 'A'
					}
					b.WriteByte(ch)
				}
			}
		}
		b.WriteByte('\n')
	}
	for i := range e.agents {
		a := &e.agents[i]
		fmt.Fprintf(&b, "%c vibe=%s energy=%d", AgentChar(i), VibeName(int(a.vibe)), a.inv[Energy])
		for r := Carbon; r < NumResources; r++ {
			if a.inv[r] > 0 {
				fmt.Fprintf(&b, " %s=%d", r, a.inv[r])
			}
		}
		fmt.Fprintf(&b, " reward=%.2f\n", e.epRewards[i])
	}
	fmt.Fprintf(&b, "hearts in chests: %d\n", e.gs.chestAmount[Heart])
	return b.String()
}
