package serve

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sync"

	"github.com/dafscript/dafscript/sim"
)

// The two encodings of POST /v1/act.
//
// JSON (Content-Type: application/json):
//
//	{"session": "ep-17",                 optional: keep controller state between requests
//	 "reset": [{"slot": 0, "seed": 42}],  optional: start a new episode in these slots
//	 "obs": [[...600 numbers 0..255...], "<base64 of 600 bytes>", ...]}
//	-> {"actions": [3, 0, ...], "values": [0.12, ...], "policy": "name@version", "sha256": "..."}
//
// Binary (Content-Type: application/vnd.dafscript.act, all integers
// little-endian; the response comes in the same form):
//
//	request:  "DAF1" | u16 session length S | u16 reset count R | u32 batch N | u32 obs bytes B (600)
//	          | S bytes session | R x (u32 slot, u64 seed) | N x B observation bytes
//	response: "DAF1" | u32 flags (bit 0: values follow) | u32 N | N x i32 action | [N x f32 value]
//
// Errors are always JSON: {"error": "...", "status": 400}.
const (
	ContentJSON   = "application/json"
	ContentBinary = "application/vnd.dafscript.act"
	binaryMagic   = "DAF1"
	binaryHeader  = 16
)

// Reset starts a new episode in a slot, seeding its randomness.
type Reset struct {
	Slot int    `json:"slot"`
	Seed uint64 `json:"seed"`
}

// ActRequest is one request: N observations of sim.ObsSize bytes, flat.
type ActRequest struct {
	Session string
	Resets  []Reset
	N       int
	Obs     []uint8 // N * sim.ObsSize
}

// ActResponse is the answer: one action per observation and, for a
// neural policy, the critic's value of each.
type ActResponse struct {
	Actions []int32   `json:"actions"`
	Values  []float32 `json:"values,omitempty"`
	Policy  string    `json:"policy"`
	SHA256  string    `json:"sha256"`
}

// sessionRE is compiled on first use: compiling it at start-up cost every
// run of dafscript, serving or not, about a millisecond.
var sessionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`) })

func checkSession(s string) error {
	if s != "" && !sessionRE().MatchString(s) {
		return fmt.Errorf("session %q: want 1 to 128 letters, digits, '.', '_', ':' or '-'", s)
	}
	return nil
}

type jsonRequest struct {
	Session string            `json:"session"`
	Reset   []Reset           `json:"reset"`
	Obs     []json.RawMessage `json:"obs"`
}

// decodeJSON reads a JSON request; maxBatch bounds N.
func decodeJSON(b []byte, maxBatch int) (*ActRequest, error) {
	var jr jsonRequest
	if err := json.Unmarshal(b, &jr); err != nil {
		return nil, fmt.Errorf("malformed JSON: %v", err)
	}
	if len(jr.Obs) == 0 {
		return nil, errors.New(`"obs" is missing or empty: want a list of observations, each 600 numbers 0..255 or a base64 string of 600 bytes`)
	}
	if first := jr.Obs[0]; len(first) > 0 && first[0] != '[' && first[0] != '"' {
		return nil, fmt.Errorf(`obs[0] is %s: "obs" is a list of observations, each itself a list of 600 numbers or a base64 string ({"obs": [[...], [...]]})`, first)
	}
	if len(jr.Obs) > maxBatch {
		return nil, fmt.Errorf("batch of %d observations is over the limit of %d", len(jr.Obs), maxBatch)
	}
	r := &ActRequest{Session: jr.Session, Resets: jr.Reset, N: len(jr.Obs), Obs: make([]uint8, len(jr.Obs)*sim.ObsSize)}
	var nums []int
	for i, raw := range jr.Obs {
		dst := r.Obs[i*sim.ObsSize : (i+1)*sim.ObsSize]
		if len(raw) > 0 && raw[0] == '"' {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, fmt.Errorf("obs[%d]: %v", i, err)
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, fmt.Errorf("obs[%d]: not base64: %v", i, err)
			}
			if len(b) != sim.ObsSize {
				return nil, fmt.Errorf("obs[%d] has %d bytes, want %d (%d tokens of %d)", i, len(b), sim.ObsSize, sim.ObsTokens, sim.ObsTokenSize)
			}
			copy(dst, b)
			continue
		}
		nums = nums[:0]
		if err := json.Unmarshal(raw, &nums); err != nil {
			return nil, fmt.Errorf("obs[%d]: want a list of numbers 0..255 or a base64 string: %v", i, err)
		}
		if len(nums) != sim.ObsSize {
			return nil, fmt.Errorf("obs[%d] has %d values, want %d (%d tokens of %d)", i, len(nums), sim.ObsSize, sim.ObsTokens, sim.ObsTokenSize)
		}
		for j, v := range nums {
			if v < 0 || v > 255 {
				return nil, fmt.Errorf("obs[%d][%d] = %d is not a byte (0..255)", i, j, v)
			}
			dst[j] = uint8(v)
		}
	}
	return r, nil
}

// EncodeBinary writes r in the binary form.
func EncodeBinary(r *ActRequest) []byte {
	b := make([]byte, binaryHeader, binaryHeader+len(r.Session)+12*len(r.Resets)+len(r.Obs))
	copy(b, binaryMagic)
	binary.LittleEndian.PutUint16(b[4:], uint16(len(r.Session)))
	binary.LittleEndian.PutUint16(b[6:], uint16(len(r.Resets)))
	binary.LittleEndian.PutUint32(b[8:], uint32(r.N))
	binary.LittleEndian.PutUint32(b[12:], sim.ObsSize)
	b = append(b, r.Session...)
	for _, rs := range r.Resets {
		b = binary.LittleEndian.AppendUint32(b, uint32(rs.Slot))
		b = binary.LittleEndian.AppendUint64(b, rs.Seed)
	}
	return append(b, r.Obs...)
}

// decodeBinary reads a binary request.
func decodeBinary(b []byte, maxBatch int) (*ActRequest, error) {
	if len(b) < binaryHeader || string(b[:4]) != binaryMagic {
		return nil, fmt.Errorf("binary request must start with the %d-byte header beginning %q", binaryHeader, binaryMagic)
	}
	s := int(binary.LittleEndian.Uint16(b[4:]))
	nr := int(binary.LittleEndian.Uint16(b[6:]))
	n := int(binary.LittleEndian.Uint32(b[8:]))
	ob := int(binary.LittleEndian.Uint32(b[12:]))
	if ob != sim.ObsSize {
		return nil, fmt.Errorf("observation size %d, want %d", ob, sim.ObsSize)
	}
	if n < 1 || n > maxBatch {
		return nil, fmt.Errorf("batch of %d observations: want 1 to %d", n, maxBatch)
	}
	want := binaryHeader + s + 12*nr + n*sim.ObsSize
	if len(b) != want {
		return nil, fmt.Errorf("binary request has %d bytes; its header (session %d, resets %d, batch %d) needs %d", len(b), s, nr, n, want)
	}
	r := &ActRequest{N: n, Session: string(b[binaryHeader : binaryHeader+s])}
	off := binaryHeader + s
	for i := 0; i < nr; i++ {
		r.Resets = append(r.Resets, Reset{Slot: int(binary.LittleEndian.Uint32(b[off:])), Seed: binary.LittleEndian.Uint64(b[off+4:])})
		off += 12
	}
	r.Obs = b[off:]
	return r, nil
}

func encodeBinaryResponse(r *ActResponse) []byte {
	b := make([]byte, 12, 12+8*len(r.Actions))
	copy(b, binaryMagic)
	if r.Values != nil {
		b[4] = 1
	}
	binary.LittleEndian.PutUint32(b[8:], uint32(len(r.Actions)))
	for _, a := range r.Actions {
		b = binary.LittleEndian.AppendUint32(b, uint32(a))
	}
	for _, v := range r.Values {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// DecodeBinaryResponse reads a binary response.
func DecodeBinaryResponse(b []byte) (*ActResponse, error) {
	if len(b) < 12 || string(b[:4]) != binaryMagic {
		return nil, errors.New("binary response: bad header")
	}
	vals := binary.LittleEndian.Uint32(b[4:])&1 != 0
	n := int(binary.LittleEndian.Uint32(b[8:]))
	want := 12 + 4*n
	if vals {
		want += 4 * n
	}
	if n < 0 || len(b) != want {
		return nil, fmt.Errorf("binary response: %d bytes for %d actions", len(b), n)
	}
	r := &ActResponse{Actions: make([]int32, n)}
	for i := range r.Actions {
		r.Actions[i] = int32(binary.LittleEndian.Uint32(b[12+4*i:]))
	}
	if vals {
		r.Values = make([]float32, n)
		for i := range r.Values {
			r.Values[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[12+4*n+4*i:]))
		}
	}
	return r, nil
}
