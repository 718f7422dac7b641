package eval

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// The result of a JobKind job travels in a compact binary form rather
// than JSON: an Episode holds a map of statistics per agent whose keys
// are the same in every agent and episode, and encoding/json spent about
// 3.6 ms to encode and decode the 40 KB of a batch of 8 short episodes
// (a tenth of their play; encoding/gob 1.7 ms), against about 0.1 ms
// here. Each string is written once and referred to by number after
// that; a float is a varint when it is a whole number, else its IEEE 754
// bits, so decoding gives back exactly the values encoded, and nil slices
// and maps stay nil (the comparison JSON, which tells null from [] and
// {}, is that of a local run).
//
// Layout: the version byte, then 0 and the episodes, or 1 and the
// failure. Producer and reader are the same build (workers refuse jobs
// of another code version); the version byte makes a mix-up an error
// rather than garbage.
const resultCodec = 1

// encodeResult encodes a job's result.
func encodeResult(r *batchResult) []byte {
	e := encoder{ids: map[string]uint64{}, buf: make([]byte, 0, 4096)}
	e.byte(resultCodec)
	if r.Error != nil {
		e.byte(1)
		f := r.Error
		e.str(f.Policy)
		e.str(f.Mission)
		e.int(f.Episode)
		e.uint(f.Seed)
		e.str(f.Msg)
		return e.buf
	}
	e.byte(0)
	e.uint(uint64(len(r.Episodes)))
	for k := range r.Episodes {
		e.episode(&r.Episodes[k])
	}
	return e.buf
}

// decodeResult decodes what encodeResult made.
func decodeResult(b []byte) (*batchResult, error) {
	d := decoder{buf: b}
	if v := d.byte(); v != resultCodec {
		if d.err != nil {
			return nil, d.err
		}
		return nil, fmt.Errorf("result encoding %d, want %d (a worker of another build?)", v, resultCodec)
	}
	r := &batchResult{}
	switch d.byte() {
	case 1:
		f := &failureJSON{}
		f.Policy = d.str()
		f.Mission = d.str()
		f.Episode = d.int()
		f.Seed = d.uint()
		f.Msg = d.str()
		r.Error = f
	case 0:
		n := d.len(1)
		if n > 0 {
			r.Episodes = make([]Episode, n)
		}
		for k := 0; k < n && d.err == nil; k++ {
			d.episode(&r.Episodes[k])
		}
	default:
		if d.err == nil {
			d.err = errors.New("unknown result kind")
		}
	}
	if d.err == nil && len(d.buf) != d.off {
		d.err = fmt.Errorf("%d bytes left over", len(d.buf)-d.off)
	}
	if d.err != nil {
		return nil, fmt.Errorf("%s result: %w", JobKind, d.err)
	}
	return r, nil
}

// episode writes every field of an Episode. The result cache stores its
// series of episodes in this form too (encodeSeries).
func (e *encoder) episode(ep *Episode) {
	e.str(ep.Policy)
	e.str(ep.Mission)
	e.int(ep.Episode)
	e.uint(ep.Seed)
	e.int(ep.Steps)
	e.strs(ep.Assignment)
	e.floats(ep.Rewards)
	e.float(ep.Reward)
	e.float(ep.HeartsMade)
	e.float(ep.HeartsDeposited)
	e.stats(ep.ResourcesGained)
	e.float(ep.ActionSuccess)
	e.float(ep.ActionFailed)
	if ep.AgentStats == nil {
		e.uint(0)
	} else {
		e.uint(uint64(len(ep.AgentStats)) + 1)
		for _, m := range ep.AgentStats {
			e.stats(m)
		}
	}
	e.stats(ep.GameStats)
}

// episode reads what encoder.episode wrote.
func (d *decoder) episode(ep *Episode) {
	ep.Policy = d.str()
	ep.Mission = d.str()
	ep.Episode = d.int()
	ep.Seed = d.uint()
	ep.Steps = d.int()
	ep.Assignment = d.strs()
	ep.Rewards = d.floats()
	ep.Reward = d.float()
	ep.HeartsMade = d.float()
	ep.HeartsDeposited = d.float()
	ep.ResourcesGained = d.stats()
	ep.ActionSuccess = d.float()
	ep.ActionFailed = d.float()
	if n := d.len(1); n > 0 {
		ep.AgentStats = make([]map[string]float64, n-1)
		for a := range ep.AgentStats {
			ep.AgentStats[a] = d.stats()
		}
	}
	ep.GameStats = d.stats()
}

type encoder struct {
	buf  []byte
	ids  map[string]uint64 // string -> its number, in order of first use
	keys []string          // the keys of the last stats, sorted
}

func (e *encoder) byte(b byte)   { e.buf = append(e.buf, b) }
func (e *encoder) uint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }
func (e *encoder) int(v int)     { e.buf = binary.AppendVarint(e.buf, int64(v)) }

// float writes a whole number (most statistics are counts) as a varint
// of twice its zigzag value, anything else (fractions, -0, NaN, the
// infinities, magnitudes from 2^53) as 1 and its 8 bytes.
func (e *encoder) float(v float64) {
	if i := int64(v); float64(i) == v && i > -1<<53 && i < 1<<53 && !(i == 0 && math.Signbit(v)) {
		e.buf = binary.AppendUvarint(e.buf, uint64(i<<1^i>>63)<<1)
		return
	}
	e.buf = append(e.buf, 1)
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v))
}

// str writes a string the first time as 0, its length and its bytes, and
// after that as its number + 1.
func (e *encoder) str(s string) {
	if n, ok := e.ids[s]; ok {
		e.uint(n + 1)
		return
	}
	e.ids[s] = uint64(len(e.ids))
	e.uint(0)
	e.uint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// strs, floats and stats write nil as 0 and otherwise the length + 1.
func (e *encoder) strs(v []string)    { writeList(e, v, e.str) }
func (e *encoder) floats(v []float64) { writeList(e, v, e.float) }

func writeList[T any](e *encoder, v []T, write func(T)) {
	if v == nil {
		e.uint(0)
		return
	}
	e.uint(uint64(len(v)) + 1)
	for _, x := range v {
		write(x)
	}
}

func (e *encoder) stats(m map[string]float64) {
	if m == nil {
		e.uint(0)
		return
	}
	e.uint(uint64(len(m)) + 1)
	// In key order, so that the same result is the same bytes. The maps
	// of a batch mostly have the same keys: the last order is reused
	// when it fits.
	same := len(e.keys) == len(m)
	for _, k := range e.keys {
		if !same {
			break
		}
		_, same = m[k]
	}
	if !same {
		e.keys = e.keys[:0]
		for k := range m {
			e.keys = append(e.keys, k)
		}
		slices.Sort(e.keys)
	}
	for _, k := range e.keys {
		e.str(k)
		e.float(m[k])
	}
}

type decoder struct {
	buf   []byte
	off   int
	seen  []string // the strings read so far, by number
	names interner // when set, strings are shared with other decodings
	err   error
}

var errShort = errors.New("truncated")

func (d *decoder) byte() byte {
	if d.err != nil || d.off >= len(d.buf) {
		d.fail(errShort)
		return 0
	}
	d.off++
	return d.buf[d.off-1]
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf[d.off:])
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) int() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf[d.off:])
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.off += n
	return int(v)
}

func (d *decoder) float() float64 {
	t := d.uint()
	switch {
	case d.err != nil:
		return 0
	case t&1 == 0:
		z := t >> 1
		return float64(int64(z>>1) ^ -int64(z&1))
	case t != 1 || len(d.buf)-d.off < 8:
		d.fail(errShort)
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.buf[d.off:]))
	d.off += 8
	return v
}

// len reads a count whose items take at least min bytes each, refusing
// one larger than what is left (a corrupt count must not allocate
// without bound).
func (d *decoder) len(min int) int {
	v := d.uint()
	if d.err == nil && v > uint64(len(d.buf)-d.off)/uint64(min)+1 {
		d.fail(errShort)
		return 0
	}
	return int(v)
}

func (d *decoder) str() string {
	n := d.uint()
	if d.err != nil {
		return ""
	}
	if n > 0 {
		if n > uint64(len(d.seen)) {
			d.fail(fmt.Errorf("string %d of %d", n-1, len(d.seen)))
			return ""
		}
		return d.seen[n-1]
	}
	l := d.uint()
	if d.err != nil || l > uint64(len(d.buf)-d.off) {
		d.fail(errShort)
		return ""
	}
	var s string
	if d.names != nil {
		s = d.names.get(d.buf[d.off : d.off+int(l)])
	} else {
		s = string(d.buf[d.off : d.off+int(l)])
	}
	d.off += int(l)
	d.seen = append(d.seen, s)
	return s
}

func (d *decoder) strs() []string    { return readList(d, d.str) }
func (d *decoder) floats() []float64 { return readList(d, d.float) }

// readList reads what writeList wrote: nil, or the items.
func readList[T any](d *decoder, read func() T) []T {
	n := d.len(1)
	if n == 0 || d.err != nil {
		return nil
	}
	v := make([]T, n-1)
	for i := range v {
		v[i] = read()
	}
	return v
}

func (d *decoder) stats() map[string]float64 {
	n := d.len(2)
	if n == 0 || d.err != nil {
		return nil
	}
	m := make(map[string]float64, n-1)
	for i := 0; i < n-1 && d.err == nil; i++ {
		k := d.str()
		m[k] = d.float()
	}
	return m
}
