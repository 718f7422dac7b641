package main

import (
	"flag"

	"github.com/dafscript/dafscript/sim/mission"
)

// mapFlag defines --map FILE: the map file, read relative to the working
// directory, becomes a mission named "map:FILE" that add receives.
func mapFlag(fs *flag.FlagSet, st *State, add func(name string)) {
	fs.Func("map", "play the map `FILE` as a mission named map:FILE (repeatable)", func(file string) error {
		wd, err := st.Getwd()
		if err != nil {
			return err
		}
		name, err := mission.LoadMapFile("", wd, file)
		if err != nil {
			return err
		}
		add(name)
		return nil
	})
}
