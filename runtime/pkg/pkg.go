// Package pkg reads and writes .dafpkg deployment packages: a reproducible
// tar.gz holding manifest.json (format version, policy class and keyword
// arguments, observation and action spec, network sizes, training
// provenance, code version, sha256 of every other file) and, for a neural
// policy, its weights as a checkpoint folder under policy/. Scripted
// policies package too, with no weights.
//
// Neural policies are loaded through the policy registry (sim/policy): the
// package never imports the network code, so it builds without cgo.
package pkg

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sync"

	"github.com/dafscript/dafscript/sim"
)

// Format and FormatVersion identify a package's manifest. A reader refuses
// a package whose version is newer than FormatVersion.
const (
	Format        = "dafscript-package"
	FormatVersion = 1
	ManifestName  = "manifest.json"
	// WeightsDir is the folder of a neural package that holds the
	// checkpoint (its manifest.json, state.json and weights.bin).
	WeightsDir = "policy"
	// Ext is the file extension of a package.
	Ext = ".dafpkg"
)

// Manifest is the content of a package's manifest.json.
type Manifest struct {
	Format        string `json:"format"`
	FormatVersion int    `json:"format_version"`
	Name          string `json:"name"`
	Version       string `json:"version"`
	Policy        Policy `json:"policy"`
	Observation   Obs    `json:"observation"`
	Action        Action `json:"action"`
	// Network is nil for a scripted policy.
	Network *Network `json:"network,omitempty"`
	// Training is nil for a scripted policy, or for a checkpoint that
	// records no training run.
	Training    *Training `json:"training,omitempty"`
	CodeVersion string    `json:"code_version"`
	// Files lists every file of the package but manifest.json, sorted by
	// name.
	Files []File `json:"files"`
}

// Policy names the policy class and the keyword arguments it is built
// with.
type Policy struct {
	Class     string         `json:"class"`
	Kwargs    map[string]any `json:"kwargs,omitempty"`
	Neural    bool           `json:"neural"`
	Recurrent bool           `json:"recurrent"`
}

// Obs is the observation a policy reads: Tokens tokens of TokenSize bytes
// (location, feature, value) per agent, Bytes in all.
type Obs struct {
	Tokens    int `json:"tokens"`
	TokenSize int `json:"token_size"`
	Bytes     int `json:"bytes"`
}

// Action is the action space: ids 0..Count-1.
type Action struct {
	Count int `json:"count"`
}

// Network describes a neural policy's network.
type Network struct {
	Hidden     int    `json:"hidden_size"`
	Activation string `json:"activation"`
	Params     int    `json:"num_params"`
	LSTM       bool   `json:"lstm"`
}

// Training is the provenance of a neural policy: the training run that
// wrote its checkpoint.
type Training struct {
	Missions        []string           `json:"missions"`
	Steps           int64              `json:"steps"`
	Updates         int                `json:"updates"`
	Episodes        int                `json:"episodes"`
	Seed            uint64             `json:"seed"`
	Hyperparameters map[string]float64 `json:"hyperparameters"`
}

// File is one file of a package.
type File struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// GameObs and GameAction are the observation and action spec of the game
// this dafscript plays.
func GameObs() Obs {
	return Obs{Tokens: sim.ObsTokens, TokenSize: sim.ObsTokenSize, Bytes: sim.ObsSize}
}
func GameAction() Action { return Action{Count: sim.NumActions} }

// nameRE is compiled on first use, not at every start of dafscript.
var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) })

// CheckName checks a package name or version: 1 to 64 letters, digits,
// '.', '_' or '-', starting with a letter or digit (so that it is a safe
// folder name in a registry).
func CheckName(what, s string) error {
	if !nameRE().MatchString(s) || s == "." || s == ".." {
		return fmt.Errorf("%s %q: want 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. \"1.0.0\")", what, s)
	}
	return nil
}

// check verifies the fields of a manifest that do not depend on the files.
func (m *Manifest) check() error {
	if m.Format != Format {
		return fmt.Errorf("%s is not a dafscript package manifest (format %q, want %q)", ManifestName, m.Format, Format)
	}
	if m.FormatVersion > FormatVersion {
		return fmt.Errorf("package format version %d is newer than this dafscript reads (%d): upgrade dafscript", m.FormatVersion, FormatVersion)
	}
	if m.FormatVersion < 1 {
		return fmt.Errorf("package format version %d is not valid (want 1 to %d)", m.FormatVersion, FormatVersion)
	}
	if err := CheckName("name", m.Name); err != nil {
		return err
	}
	if err := CheckName("version", m.Version); err != nil {
		return err
	}
	if m.Policy.Class == "" {
		return fmt.Errorf("%s names no policy class", ManifestName)
	}
	if g := GameObs(); m.Observation != g {
		return fmt.Errorf("package made for observations of %d tokens x %d bytes; this game has %d x %d", m.Observation.Tokens, m.Observation.TokenSize, g.Tokens, g.TokenSize)
	}
	if g := GameAction(); m.Action != g {
		return fmt.Errorf("package made for %d actions; this game has %d", m.Action.Count, g.Count)
	}
	if m.Policy.Neural != (m.Network != nil) {
		return fmt.Errorf("%s: a neural policy needs a network section and a scripted one has none", ManifestName)
	}
	return nil
}

// normalizeKwargs turns JSON numbers back into int64 when integral, as the
// policy constructors expect.
func normalizeKwargs(kw map[string]any) map[string]any {
	if kw == nil {
		return nil
	}
	out := make(map[string]any, len(kw))
	for k, v := range kw {
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				out[k] = i
			} else if f, err := n.Float64(); err == nil {
				out[k] = f
			} else {
				out[k] = n.String()
			}
			continue
		}
		out[k] = v
	}
	return out
}
