package threshold

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/sim/suggest"
)

// EpisodeFields are the per-episode fields of Episodes besides the
// prefixed families resources_gained.<resource> and game.<stat>.
var EpisodeFields = []string{"reward", "hearts_deposited", "hearts_made", "steps", "success", "action_success", "action_failed", "action_failure_rate"}

// Episodes is the source of an evaluation's episodes.
type Episodes []eval.Episode

func episodeValue(e *eval.Episode, field string) (float64, bool) {
	switch field {
	case "reward":
		return e.Reward, true
	case "hearts_deposited", "hearts":
		return e.HeartsDeposited, true
	case "hearts_made":
		return e.HeartsMade, true
	case "steps":
		return float64(e.Steps), true
	case "success":
		if e.HeartsDeposited > 0 {
			return 1, true
		}
		return 0, true
	case "action_success":
		return e.ActionSuccess, true
	case "action_failed":
		return e.ActionFailed, true
	case "action_failure_rate":
		if t := e.ActionSuccess + e.ActionFailed; t > 0 {
			return e.ActionFailed / t, true
		}
		return 0, true
	}
	if r, ok := strings.CutPrefix(field, "resources_gained."); ok {
		return e.ResourcesGained[r], true
	}
	if s, ok := strings.CutPrefix(field, "game."); ok {
		v, ok := e.GameStats[s]
		return v, ok
	}
	return 0, false
}

// Samples implements Source.
func (es Episodes) Samples(field string, where []Tag) ([]float64, error) {
	if _, ok := episodeValue(&eval.Episode{}, field); !ok && !strings.HasPrefix(field, "game.") {
		return nil, fmt.Errorf("unknown field %q%s; fields: %s, resources_gained.<resource>, game.<stat>",
			field, suggest.Hint(field, EpisodeFields, 3), strings.Join(EpisodeFields, ", "))
	}
	seen := map[string][]string{}
	var out []float64
	for i := range es {
		e := &es[i]
		seen["policy"] = appendNew(seen["policy"], e.Policy)
		seen["mission"] = appendNew(seen["mission"], e.Mission)
		match := true
		for _, w := range where {
			switch w.Key {
			case "policy":
				match = match && e.Policy == w.Value
			case "mission":
				match = match && e.Mission == w.Value
			}
		}
		if !match {
			continue
		}
		v, ok := episodeValue(e, field)
		if !ok {
			stats := make([]string, 0, len(e.GameStats))
			for k := range e.GameStats {
				stats = append(stats, k)
			}
			sort.Strings(stats)
			name := strings.TrimPrefix(field, "game.")
			return nil, fmt.Errorf("unknown game stat %q%s", name, suggest.Hint(name, stats, 3))
		}
		out = append(out, v)
	}
	for _, w := range where {
		if !slices.Contains(seen[w.Key], w.Value) {
			return nil, fmt.Errorf("selector %s=%s matches no episode; %ss: %s", w.Key, w.Value, w.Key, strings.Join(seen[w.Key], ", "))
		}
	}
	return out, nil
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}
