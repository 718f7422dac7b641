package eval

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/dafscript/dafscript/runtime/cache"
	"github.com/google/go-cmp/cmp"
)

// sameBits compares floats bit for bit (NaN equals NaN, -0 differs from 0).
var sameBits = cmp.Comparer(func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) })

// fullEpisode sets every field of Episode, with the values that are hard
// to carry: NaN, -0, infinities, empty and nil maps and lists.
func fullEpisode() Episode {
	return Episode{
		Policy: "p", Mission: "training_facility_1+cogs(2)", Episode: 3, Seed: math.MaxUint64, Steps: 300,
		Assignment: []string{"baseline", "random", "baseline"}, Rewards: []float64{0, math.Copysign(0, -1), 2.5},
		Reward: 1.0 / 3, HeartsMade: math.Inf(1), HeartsDeposited: math.NaN(),
		ResourcesGained: map[string]float64{"carbon": 16, "energy": 1976, "": -1},
		ActionSuccess:   1192, ActionFailed: math.Inf(-1),
		AgentStats: []map[string]float64{{"action.move.success": 208, "carbon.gained": 1e-300}, {}, nil,
			{"action.move.success": 194, "unique.to.this.agent": 7}},
		GameStats: map[string]float64{"chest.heart.deposited": 0, "baseline": 1},
	}
}

// Every field of Episode but Policy and Episode (set by lookup) goes into
// an entry and comes back bit for bit; a field added to Episode fails
// here until fullEpisode sets it (and encodeEntry carries it).
func TestEntryRoundTrip(t *testing.T) {
	full := fullEpisode()
	v := reflect.ValueOf(full)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("fullEpisode leaves Episode.%s unset: set it, and carry it in encodeEntry (and raise entryFormat)", v.Type().Field(i).Name)
		}
	}
	opts := cacheOptions(t)
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	cases := append([]Episode{full, {}, {Assignment: []string{}, Rewards: []float64{}, AgentStats: []map[string]float64{}, GameStats: map[string]float64{}}}, res.Results...)
	in := interner{}
	for i, e := range cases {
		got, err := decodeEntry(encodeEntry(&e), in)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		e.Policy, e.Episode = "", 0
		if d := cmp.Diff(e, got, sameBits); d != "" {
			t.Errorf("case %d: round trip (-want +got):\n%s", i, d)
		}
	}
	// The names are interned: the same statistic in two entries is one string.
	a, _ := decodeEntry(encodeEntry(&res.Results[0]), in)
	b, _ := decodeEntry(encodeEntry(&res.Results[1]), in)
	for k := range a.AgentStats[0] {
		if _, ok := b.AgentStats[0][k]; ok {
			ka, kb := keyOf(a.AgentStats[0], k), keyOf(b.AgentStats[0], k)
			if unsafe.StringData(ka) != unsafe.StringData(kb) {
				t.Errorf("stat %q decoded twice", k)
			}
			break
		}
	}
}

func keyOf(m map[string]float64, k string) string {
	for s := range m {
		if s == k {
			return s
		}
	}
	return ""
}

// Every entry cut short, and every byte changed, is an error or some
// episode, never a panic or a huge allocation; a cut is always an error.
func TestEntryDecodeCorrupt(t *testing.T) {
	full := fullEpisode()
	b := encodeEntry(&full)
	for n := range len(b) {
		if _, err := decodeEntry(b[:n], interner{}); err == nil {
			t.Errorf("entry cut to %d of %d bytes decoded", n, len(b))
		}
	}
	if _, err := decodeEntry(append(append([]byte{}, b...), 0), interner{}); err == nil || !strings.Contains(err.Error(), "after the end") {
		t.Errorf("trailing byte: %v", err)
	}
	for i := range b {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			c := append([]byte{}, b...)
			c[i] ^= x
			decodeEntry(c, interner{}) // must not panic
		}
	}
	huge := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
	if _, err := decodeEntry(huge, interner{}); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a count of 2^63 names: %v", err)
	}
}

// An entry whose payload passes the cache's integrity check but does not
// decode (written by a faulty build, say) is played again, logged and
// replaced; the results are those of a run without the cache.
func TestCacheUndecodableEntryIsPlayedAgain(t *testing.T) {
	want := runJSON(t, cacheOptions(t))
	var log bytes.Buffer
	c, err := cache.Open(cache.Options{Dir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	opts := cacheOptions(t)
	opts.Cache = c
	runJSON(t, opts)
	k, err := newKeyer(&opts)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := k.episode(&opts, 0, 0, 1)
	if err := c.Put(CacheKind, key, []byte("not an episode")); err != nil {
		t.Fatal(err)
	}
	// A second entry corrupted on disk: the cache's check catches it.
	key2, _ := k.episode(&opts, 1, 1, 2)
	p := filepath.Join(c.Dir(), CacheKind, string(key2[:2]), string(key2)+".bin")
	if err := os.WriteFile(p, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := runJSON(t, opts); !bytes.Equal(got, want) {
		t.Fatal("a run over corrupt entries differs from a run without the cache")
	}
	for _, k := range []string{key.Short(), key2.Short()} {
		if !strings.Contains(log.String(), "cache entry episode/"+k+" is corrupt") {
			t.Errorf("no log line for the corrupt entry %s: %q", k, log.String())
		}
	}
	// Both were written again: a third run logs nothing.
	log.Reset()
	if got := runJSON(t, opts); !bytes.Equal(got, want) || log.Len() != 0 {
		t.Fatalf("third run: same bytes %v, log %q", bytes.Equal(got, want), log.String())
	}
}
