package sim

import "testing"

// fuzzConfig turns bytes into a small map and config.
func fuzzConfig(t testing.TB, data []byte) (*GameConfig, []byte) {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	w, h := 2+int(next()%12), 1+int(next()%12)
	chars := "....#@@+=&cogsCOGS"
	rows := make([]string, h)
	agents := 0
	for r := range rows {
		b := make([]byte, w)
		for c := range b {
			b[c] = chars[int(next())%len(chars)]
			if b[c] == '@' {
				agents++
			}
		}
		rows[r] = string(b)
	}
	if agents == 0 {
		rows[0] = "@" + rows[0][1:]
	}
	cfg := testConfig(t, rows...)
	cfg.MaxSteps = 1 + int(next())
	cfg.Clip.Period = int(next() % 4)
	if next()%2 == 1 {
		cfg.Reward.HeartChorus = true
	}
	cfg.Agent.CargoLimit = int(next() % 120)
	cfg.Agent.GearLimit = int(next() % 6)
	cfg.Agent.EnergyRegen = int(next() % 3)
	cfg.Agent.MoveCost = int(next() % 4)
	return cfg, data
}

func checkInvariants(t *testing.T, e *Env) {
	t.Helper()
	lim := e.cfg.Agent
	cells := 0
	for _, id := range e.grid {
		if id >= 0 && e.objs[id].kind == kindAgent {
			cells++
		}
	}
	if cells != e.numAgents {
		t.Fatalf("%d agent cells, %d agents", cells, e.numAgents)
	}
	for i := range e.agents {
		a := &e.agents[i]
		if e.grid[a.row*e.width+a.col] != a.obj {
			t.Fatalf("agent %d not at its cell", i)
		}
		cargo := a.inv[Carbon] + a.inv[Oxygen] + a.inv[Germanium] + a.inv[Silicon]
		gear := a.inv[Decoder] + a.inv[Modulator] + a.inv[Resonator] + a.inv[Scrambler]
		if cargo > int32(lim.CargoLimit) || gear > int32(lim.GearLimit) || a.inv[Energy] > int32(lim.EnergyLimit) || a.inv[Heart] > int32(lim.HeartLimit) {
			t.Fatalf("agent %d over its limits: %v", i, a.inv)
		}
		for r, v := range a.inv {
			if v < 0 || v > 255 {
				t.Fatalf("agent %d %s = %d", i, Resource(r), v)
			}
		}
	}
	for r := int32(0); r < e.height; r++ {
		for c := int32(0); c < e.width; c++ {
			b := e.occBit(r, c)
			set := e.occ[b>>6]&(1<<uint(b&63)) != 0
			if id := e.grid[r*e.width+c]; set != (id >= 0) {
				t.Fatalf("occupancy bit at %d,%d is %v", r, c, set)
			}
		}
	}
	var hearts int32
	for _, c := range e.chests {
		for r, v := range c.inv {
			if v < 0 || v > e.chestCap {
				t.Fatalf("chest %s = %d", Resource(r), v)
			}
		}
		hearts += c.inv[Heart]
	}
	if hearts != e.gs.chestAmount[Heart] {
		t.Fatalf("chest heart stat %d, chests hold %d", e.gs.chestAmount[Heart], hearts)
	}
}

func FuzzStep(f *testing.F) {
	f.Add([]byte("seed"))
	f.Add([]byte{5, 5, 5, 6, 10, 11, 12, 13, 1, 2, 3, 4, 200, 1, 0, 100, 5, 1, 2})
	f.Add([]byte{11, 3, 5, 16, 17, 7, 8, 5, 9, 5, 10, 5, 11, 6, 12, 1, 2, 3, 4, 1, 2, 3, 4, 9, 9, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, rest := fuzzConfig(t, data)
		e, err := NewEnv(cfg, uint64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		checkInvariants(t, e)
		acts := make([]int32, e.NumAgents())
		rng := NewRNG(uint64(len(rest)))
		for s := 0; s < 300; s++ {
			for i := range acts {
				if len(rest) > 0 {
					acts[i] = int32(rest[0]) - 20 // includes invalid ids
					rest = rest[1:]
				} else {
					acts[i] = int32(rng.Intn(NumActions+2)) - 1
				}
				if rng.Intn(3) == 0 {
					acts[i] = int32(rng.Intn(5))
				}
			}
			if s%50 == 0 {
				for i := range e.agents {
					// hand out resources through the limit-respecting path
					e.update(i, Resource(rng.Intn(NumResources)), int32(rng.Intn(60)))
				}
			}
			if e.Step(acts) {
				e.Reset(uint64(s))
			}
			checkInvariants(t, e)
			if s%37 == 0 {
				got := append([]byte(nil), e.obs...)
				if string(rebuildAll(e)) != string(got) {
					t.Fatal("cached observation differs from a rebuild")
				}
			}
		}
		_ = e.Render()
		_ = e.Stats()
	})
}
