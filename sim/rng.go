package sim

import "math/bits"

// RNG is the simulator's random generator: SplitMix64-seeded xoshiro256**.
// It is ours, not math/rand's, so that a seed gives the same stream with any
// Go release; every draw in an episode comes from the episode's RNG.
type RNG struct{ s [4]uint64 }

// NewRNG returns a generator seeded from seed.
func NewRNG(seed uint64) *RNG {
	r := &RNG{}
	r.Seed(seed)
	return r
}

// Seed resets the generator to the stream of seed.
func (r *RNG) Seed(seed uint64) {
	for i := range r.s {
		seed += 0x9e3779b97f4a7c15
		r.s[i] = mix64(seed)
	}
}

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func rotl(x uint64, k uint) uint64 { return (x << k) | (x >> (64 - k)) }

// Uint64 returns the next 64 random bits.
func (r *RNG) Uint64() uint64 {
	s := &r.s
	result := rotl(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = rotl(s[3], 45)
	return result
}

// Intn returns a uniform int in [0, n); n must be > 0. It uses Lemire's
// multiply-and-reject method, so it has no modulo bias.
func (r *RNG) Intn(n int) int {
	bound := uint64(n)
	for {
		x := r.Uint64()
		hi, lo := bits.Mul64(x, bound) // one instruction; the hand-written product cost a third of a bootstrap
		if lo >= bound || lo >= (-bound)%bound {
			return int(hi)
		}
	}
}

// Float64 returns a uniform float in [0, 1).
func (r *RNG) Float64() float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// Shuffle permutes p in place (Fisher-Yates).
func (r *RNG) Shuffle(p []int) {
	for i := len(p) - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
}

// DeriveSeed derives an independent seed from a base seed, a label (a
// mission name, say) and an index (an episode number, say). Results depend
// on these three values alone, never on order of execution.
func DeriveSeed(base uint64, label string, index uint64) uint64 {
	h := uint64(14695981039346656037) // FNV-1a over the label
	for i := 0; i < len(label); i++ {
		h ^= uint64(label[i])
		h *= 1099511628211
	}
	return mix64(mix64(base^0x5851f42d4c957f2d) ^ mix64(h) ^ mix64(index+0x9e3779b97f4a7c15))
}
