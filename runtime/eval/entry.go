package eval

import (
	"fmt"
	"math"
)

// entryFormat is the version of the encoding of a series of episodes in
// the result cache (encodeSeries). It is part of every series' key
// (jobs.Spec.Format), so entries of another encoding are never read as
// this one: change it with the encoding.
//
// Format 1 was one entry per episode, its JSON (4.7 KB for four agents,
// each with a map of ~45 statistics); decoding it was most of a cached
// run. Format 2 was one entry per series with a table of names and
// 8-byte floats. Format 3 is one entry per series in the encoding that a
// job's episodes travel in (codec.go: every string once, then its
// number; whole numbers as varints), so that one encoding serves the
// queue and the cache.
const entryFormat = 3

// minEpisodeBytes is the least an encoded episode with its index takes:
// an index, two strings, three numbers, three lists or maps, five floats
// and two more lists or maps, a byte each.
const minEpisodeBytes = 16

// encodeSeries encodes the episodes of a series (with their indexes in
// it, ascending): the count, then each index and episode. Policy and
// Episode are left empty: they are not part of the key (a renamed entry,
// the episode's index in a run) and lookup sets them.
func encodeSeries(indexes []int, eps []*Episode) []byte {
	e := encoder{ids: map[string]uint64{}, buf: make([]byte, 0, 1024*len(eps)+16)}
	e.uint(uint64(len(eps)))
	for n, ep := range eps {
		e.uint(uint64(indexes[n]))
		c := *ep
		c.Policy, c.Episode = "", 0
		e.episode(&c)
	}
	return e.buf
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

// decodeSeries decodes what encodeSeries wrote: the episodes and their
// indexes; in interns the names.
func decodeSeries(b []byte, in interner) (indexes []int, eps []Episode, err error) {
	d := decoder{buf: b, names: in}
	n := d.uint()
	if d.err == nil && n > uint64(len(b)/minEpisodeBytes) {
		return nil, nil, fmt.Errorf("series of episodes (format %d): a count of %d is more than the %d bytes hold", entryFormat, n, len(b))
	}
	indexes = make([]int, 0, n)
	eps = make([]Episode, n)
	for k := 0; k < int(n) && d.err == nil; k++ {
		index := d.uint()
		if d.err == nil && (index > math.MaxInt32 || (k > 0 && int(index) <= indexes[k-1])) {
			d.fail(fmt.Errorf("episode %d out of order", index))
		}
		indexes = append(indexes, int(index))
		d.episode(&eps[k])
	}
	if d.err == nil && len(d.buf) != d.off {
		d.fail(fmt.Errorf("%d bytes after the end", len(d.buf)-d.off))
	}
	if d.err != nil {
		return nil, nil, fmt.Errorf("series of episodes (format %d): %w", entryFormat, d.err)
	}
	return indexes, eps, nil
}
