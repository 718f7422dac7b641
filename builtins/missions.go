package builtins

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/sim/mission"
)

const missionsDoc = `daf.missions() -> list of strings

The names of the base missions, sorted. Any of them may take a suffix
(":easy", ":shaped") and variants ("+dark_side", "+clip_period_on(20)"):
see daf.mission for one mission's details.

  for name in daf.missions():
      print(name, daf.mission(name).num_agents)`

const missionDoc = `daf.mission(name=None, map=None) -> Mission

Describes a mission: name (canonical, with its suffix and variants),
description, num_agents, max_steps, width, height (of the built grid,
border included) and variants (applied, in order). An unknown name or
variant is an error with the closest names. A Mission is accepted
wherever a mission name is.

  m = daf.mission("training_facility_1:easy")
  print(m.num_agents, m.variants)

map="FILE" plays a map file (the format of the built-in maps, at most
4096x4096) with every cog its spawn cells hold: the file is read relative
to the script's folder and must lie under it, like load(). Its mission is
named "map:FILE"; name may then add a suffix and variants (":easy+dark_side").

  arena = daf.mission(map="maps/arena.map")
  daf.compare(["baseline", "random"], [arena], episodes=4)`

// MissionInfo is the result of daf.mission.
type MissionInfo struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	NumAgents   int      `json:"num_agents"`
	MaxSteps    int      `json:"max_steps"`
	Width       int      `json:"width"`
	Height      int      `json:"height"`
	Variants    []string `json:"variants"`
}

// MissionKind is the Starlark type name of daf.mission's result.
const MissionKind = "Mission"

func builtinMissions(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return ToStarlark(mission.Names())
}

func builtinMission(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, mapV starlark.Value = starlark.None, starlark.None
	if err := UnpackArgs(b.Name(), args, kwargs, "name?", &name, "map?", &mapV); err != nil {
		return nil, err
	}
	if mapV != starlark.None {
		file, ok := starlark.AsString(mapV)
		if !ok {
			return nil, fmt.Errorf("%s: map: got %s, want a file name such as \"maps/arena.map\"", b.Name(), mapV.Type())
		}
		mapName, err := mission.LoadMapFile(EnvOf(t).ReadRoot(), EnvOf(t).ScriptDir(), file)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", b.Name(), err)
		}
		extra, _ := starlark.AsString(name)
		if name != starlark.None && !strings.HasPrefix(extra, ":") && !strings.HasPrefix(extra, "+") {
			return nil, fmt.Errorf("%s: name: with map=, name may only add a suffix and variants, such as \":easy+dark_side\"; got %s", b.Name(), name.String())
		}
		name = starlark.String(mapName + extra)
	}
	if name == starlark.None {
		return nil, fmt.Errorf("%s: give a mission name (daf.missions() lists them) or map=\"FILE\"", b.Name())
	}
	if _, isList := elements(name); isList {
		return nil, fmt.Errorf("%s: name: got %s, want one mission name (daf.missions() lists them)", b.Name(), name.Type())
	}
	ms, err := Missions(b.Name(), "name", name)
	if err != nil {
		return nil, err
	}
	return NewResult(MissionKind, missionInfo(ms[0]))
}

func missionInfo(m *mission.Mission) MissionInfo {
	return MissionInfo{
		Name:        m.Name,
		Description: m.Description,
		NumAgents:   m.NumAgents,
		MaxSteps:    m.MaxSteps,
		Width:       m.Width,
		Height:      m.Height,
		Variants:    append([]string{}, m.Variants...),
	}
}

// Missions reads a mission argument: a name ("training_facility_1",
// "training_facility_1:easy+dark_side"), a daf.mission(...) result, or a
// list or tuple of those. Errors name fnName and the argument:
//
//	daf.compare: missions[1]: unknown mission "traning_facility_1" (did you mean training_facility_1?)
func Missions(fnName, argName string, v starlark.Value) ([]*mission.Mission, error) {
	items, isList := elements(v)
	if isList && len(items) == 0 {
		return nil, fmt.Errorf("%s: %s is empty; give at least one mission, e.g. \"training_facility_1\" (daf.missions() lists them)", fnName, argName)
	}
	out := make([]*mission.Mission, 0, len(items))
	for i, it := range items {
		where := indexed(argName, i, isList)
		var name string
		switch x := it.(type) {
		case starlark.String:
			name = string(x)
		case *Result:
			info, ok := x.goValue.(MissionInfo)
			if !ok {
				return nil, wrongMission(fnName, where, it)
			}
			name = info.Name
		default:
			return nil, wrongMission(fnName, where, it)
		}
		m, err := mission.Get(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", fnName, where, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func wrongMission(fnName, where string, v starlark.Value) error {
	return fmt.Errorf("%s: %s: got %s, want a mission name such as \"training_facility_1\", a daf.mission(...) or a list of them", fnName, where, v.Type())
}
