package eval

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// entryFormat is the version of the encoding of a series of episodes in
// the result cache (encodeSeries). It is part of every series' key
// (jobs.Spec.Format), so entries of another encoding are never read as
// this one: change it with the encoding.
//
// Format 1 was one entry per episode, its JSON (4.7 KB for four agents,
// each with a map of ~45 statistics); decoding it was most of a cached
// run. Format 2 is one entry per series, binary: the names (missions,
// assignments, every statistic's name) once in a table, then each
// episode with each value as an index into the table and the float64's 8
// bytes, so that a statistic costs 9 bytes and decoding is a copy (~2
// KB an episode of four agents).
const entryFormat = 2

// encodeSeries encodes the episodes of a series (with their indexes in
// it, ascending). Policy and Episode are left out: they are not part of
// the key (a renamed entry, the episode's index in a run) and lookup sets
// them.
//
//	series  = names, count, count x (index, episode)
//	names   = count, count x (length, bytes)  (every string, once)
//	episode = mission, seed, steps, assignment, rewards, reward,
//	          hearts_made, hearts_deposited, resources_gained,
//	          action_success, action_failed, agent_stats, game_stats
//	string  = index into names
//	list    = 0 (nil) | 1+count, count x item
//	map     = 0 (nil) | 1+count, count x (string, float64), sorted by name
//	float64 = its IEEE 754 bits, 8 bytes little-endian
//
// Counts, lengths, indexes, the seed and steps are unsigned varints.
func encodeSeries(indexes []int, eps []*Episode) []byte {
	var names []string
	index := map[string]uint64{}
	name := func(s string) uint64 {
		i, ok := index[s]
		if !ok {
			i = uint64(len(names))
			index[s] = i
			names = append(names, s)
		}
		return i
	}
	// The body first (it numbers the names), then the table before it.
	body := make([]byte, 0, 2048*len(eps))
	putFloat := func(v float64) { body = binary.LittleEndian.AppendUint64(body, math.Float64bits(v)) }
	var keys []string
	putMap := func(m map[string]float64) {
		if m == nil {
			body = binary.AppendUvarint(body, 0)
			return
		}
		keys = keys[:0]
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		body = binary.AppendUvarint(body, uint64(len(m))+1)
		for _, k := range keys {
			body = binary.AppendUvarint(body, name(k))
			putFloat(m[k])
		}
	}
	body = binary.AppendUvarint(body, uint64(len(eps)))
	for n, e := range eps {
		body = binary.AppendUvarint(body, uint64(indexes[n]))
		body = binary.AppendUvarint(body, name(e.Mission))
		body = binary.AppendUvarint(body, e.Seed)
		body = binary.AppendUvarint(body, uint64(e.Steps))
		if e.Assignment == nil {
			body = binary.AppendUvarint(body, 0)
		} else {
			body = binary.AppendUvarint(body, uint64(len(e.Assignment))+1)
			for _, a := range e.Assignment {
				body = binary.AppendUvarint(body, name(a))
			}
		}
		if e.Rewards == nil {
			body = binary.AppendUvarint(body, 0)
		} else {
			body = binary.AppendUvarint(body, uint64(len(e.Rewards))+1)
			for _, r := range e.Rewards {
				putFloat(r)
			}
		}
		putFloat(e.Reward)
		putFloat(e.HeartsMade)
		putFloat(e.HeartsDeposited)
		putMap(e.ResourcesGained)
		putFloat(e.ActionSuccess)
		putFloat(e.ActionFailed)
		if e.AgentStats == nil {
			body = binary.AppendUvarint(body, 0)
		} else {
			body = binary.AppendUvarint(body, uint64(len(e.AgentStats))+1)
			for _, m := range e.AgentStats {
				putMap(m)
			}
		}
		putMap(e.GameStats)
	}

	size := binary.MaxVarintLen64 + len(body)
	for _, n := range names {
		size += binary.MaxVarintLen64 + len(n)
	}
	out := make([]byte, 0, size)
	out = binary.AppendUvarint(out, uint64(len(names)))
	for _, n := range names {
		out = binary.AppendUvarint(out, uint64(len(n)))
		out = append(out, n...)
	}
	return append(out, body...)
}

// interner keeps one copy of each name decoded (the statistics' names
// repeat in every entry); one per goroutine.
type interner map[string]string

func (in interner) get(b []byte) string {
	if s, ok := in[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	in[s] = s
	return s
}

var errShort = errors.New("ends early")

// minEpisodeBytes is the least an encoded episode takes: 7 varints, 3
// empty lists or maps and 5 float64s.
const minEpisodeBytes = 7 + 3 + 5*8

// entryReader decodes an entry; the first error sticks.
type entryReader struct {
	b     []byte
	names []string
	err   error
}

func (r *entryReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a count of items of at least min bytes each, refusing one
// larger than what is left (a corrupt entry must not make a huge
// allocation).
func (r *entryReader) count(min int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)/min) {
		r.err = fmt.Errorf("a count of %d is more than the %d bytes left hold", n, len(r.b))
		return 0
	}
	return int(n)
}

// list reads the 0 (nil) | 1+count prefix of a list or map: n is the
// count, nil whether the value was nil.
func (r *entryReader) list(min int) (n int, isNil bool) {
	v := r.uvarint()
	if v == 0 || r.err != nil {
		return 0, true
	}
	if v-1 > uint64(len(r.b)/min) {
		r.err = fmt.Errorf("a count of %d is more than the %d bytes left hold", v-1, len(r.b))
		return 0, true
	}
	return int(v - 1), false
}

func (r *entryReader) float() float64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.err = errShort
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

func (r *entryReader) name() string {
	i := r.uvarint()
	if r.err != nil {
		return ""
	}
	if i >= uint64(len(r.names)) {
		r.err = fmt.Errorf("name %d of %d", i, len(r.names))
		return ""
	}
	return r.names[i]
}

func (r *entryReader) statMap() map[string]float64 {
	n, isNil := r.list(9)
	if isNil {
		return nil
	}
	m := make(map[string]float64, n)
	for range n {
		k := r.name()
		m[k] = r.float()
	}
	return m
}

// decodeSeries decodes what encodeSeries wrote: the episodes and their
// indexes; in interns the names.
func decodeSeries(b []byte, in interner) (indexes []int, eps []Episode, err error) {
	r := &entryReader{b: b}
	n := r.count(1)
	r.names = make([]string, 0, n)
	for range n {
		l := r.count(1)
		if r.err != nil {
			break
		}
		if l > len(r.b) {
			r.err = errShort
			break
		}
		r.names = append(r.names, in.get(r.b[:l]))
		r.b = r.b[l:]
	}
	n = r.count(minEpisodeBytes)
	indexes = make([]int, 0, n)
	eps = make([]Episode, n)
	for k := 0; k < n && r.err == nil; k++ {
		index := r.uvarint()
		if r.err == nil && (index > math.MaxInt32 || (k > 0 && int(index) <= indexes[k-1])) {
			r.err = fmt.Errorf("episode %d out of order", index)
		}
		indexes = append(indexes, int(index))
		e := &eps[k]
		e.Mission = r.name()
		e.Seed = r.uvarint()
		steps := r.uvarint()
		if steps > math.MaxInt32 && r.err == nil {
			r.err = fmt.Errorf("%d steps", steps)
		}
		e.Steps = int(steps)
		if n, isNil := r.list(1); !isNil {
			e.Assignment = make([]string, n)
			for i := range e.Assignment {
				e.Assignment[i] = r.name()
			}
		}
		if n, isNil := r.list(8); !isNil {
			e.Rewards = make([]float64, n)
			for i := range e.Rewards {
				e.Rewards[i] = r.float()
			}
		}
		e.Reward = r.float()
		e.HeartsMade = r.float()
		e.HeartsDeposited = r.float()
		e.ResourcesGained = r.statMap()
		e.ActionSuccess = r.float()
		e.ActionFailed = r.float()
		if n, isNil := r.list(1); !isNil {
			e.AgentStats = make([]map[string]float64, n)
			for i := range e.AgentStats {
				e.AgentStats[i] = r.statMap()
			}
		}
		e.GameStats = r.statMap()
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes after the end", len(r.b))
	}
	if r.err != nil {
		return nil, nil, fmt.Errorf("series of episodes (format %d): %w", entryFormat, r.err)
	}
	return indexes, eps, nil
}
