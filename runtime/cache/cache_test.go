package cache

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/jobs"
)

const key = jobs.Key("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")

func TestPutGetStatsClear(t *testing.T) {
	c, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.Get("episode", key); ok || err != nil {
		t.Fatalf("empty cache: %v %v", ok, err)
	}
	if err := c.Put("episode", key, []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	c.Put("trial", key, []byte(`{}`))
	b, ok, err := c.Get("episode", key)
	if !ok || err != nil || string(b) != `{"a":1}` {
		t.Fatalf("got %q %v %v", b, ok, err)
	}
	st, err := c.Stats()
	if err != nil || st.Entries != 2 || st.Bytes != 9+2*headerSize || len(st.Kinds) != 2 || st.Kinds[0].Kind != "episode" {
		t.Fatalf("stats %+v %v", st, err)
	}
	rm, err := c.Clear("trial")
	if err != nil || rm.Entries != 1 {
		t.Fatalf("clear trial: %+v %v", rm, err)
	}
	if st, _ := c.Stats(); st.Entries != 1 {
		t.Fatalf("after clearing trials: %+v", st)
	}
	if rm, _ := c.Clear(); rm.Entries != 1 {
		t.Fatalf("clear all: %+v", rm)
	}
	if _, ok, _ := c.Get("episode", key); ok {
		t.Fatal("entry survived clear")
	}
}

func TestBadInputAndDisabled(t *testing.T) {
	c, _ := Open(Options{Dir: t.TempDir()})
	for _, k := range []jobs.Key{"", "xyz", jobs.Key(strings.Repeat("G", 64))} {
		if err := c.Put("episode", k, nil); err == nil {
			t.Errorf("key %q accepted", k)
		}
	}
	for _, kind := range []string{"", "../x", "a/b"} {
		if _, _, err := c.Get(kind, key); err == nil {
			t.Errorf("kind %q accepted", kind)
		}
	}
	off, err := Open(Options{Disabled: true})
	if off != nil || err != nil {
		t.Fatalf("disabled: %v %v", off, err)
	}
	if err := off.Put("episode", key, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := off.Get("episode", key); ok {
		t.Fatal("a disabled cache found something")
	}
	t.Setenv(EnvDir, "/tmp/somewhere")
	if d, _ := DefaultDir(); d != "/tmp/somewhere" {
		t.Errorf("DefaultDir %q ignores %s", d, EnvDir)
	}
}

// An entry that is cut short, overwritten or not an entry at all is a
// miss: Get logs it, removes it and returns no error; a later Put writes
// it again.
func TestCorruptEntryIsAMiss(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(b []byte) []byte
		want    string
	}{
		{"empty", func([]byte) []byte { return nil }, "shorter than the 16-byte header"},
		{"cut short", func(b []byte) []byte { return b[:len(b)-3] }, "a write cut short"},
		{"zeros", func(b []byte) []byte { return make([]byte, len(b)) }, "does not start with the entry header"},
		{"flipped bit", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, "checksum mismatch"},
		{"longer", func(b []byte) []byte { return append(b, 'x') }, "a write cut short"},
		{"old JSON entry", func([]byte) []byte { return []byte(`{"policy":"random","mission":"m","episode":0}`) }, "does not start with the entry header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			c, err := Open(Options{Dir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(&log, nil))})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Put("episode", key, []byte(`payload`)); err != nil {
				t.Fatal(err)
			}
			p := c.path("episode", key)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, tc.corrupt(b), 0o644); err != nil {
				t.Fatal(err)
			}
			data, ok, err := c.Get("episode", key)
			if ok || err != nil || data != nil {
				t.Fatalf("corrupt entry: %q %v %v, want a miss", data, ok, err)
			}
			if !strings.Contains(log.String(), "cache entry episode/"+key.Short()+" is corrupt") || !strings.Contains(log.String(), tc.want) {
				t.Errorf("log %q: want the entry named and %q", log.String(), tc.want)
			}
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("the corrupt entry was not removed: %v", err)
			}
			if err := c.Put("episode", key, []byte(`again`)); err != nil {
				t.Fatal(err)
			}
			if data, ok, err := c.Get("episode", key); !ok || err != nil || string(data) != "again" {
				t.Fatalf("after Put: %q %v %v", data, ok, err)
			}
		})
	}
}

// Put leaves no temporary behind, and Discard removes an entry whose
// payload its reader could not decode.
func TestPutLeavesNoTemporaryAndDiscard(t *testing.T) {
	var log bytes.Buffer
	c, _ := Open(Options{Dir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(&log, nil))})
	for i := 0; i < 3; i++ {
		if err := c.Put("episode", key, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(c.Dir(), "episode", string(key[:2]), "*"))
	hidden, _ := filepath.Glob(filepath.Join(c.Dir(), "episode", string(key[:2]), ".*"))
	if len(files) != 1 || len(hidden) != 0 || filepath.Base(files[0]) != string(key)+".bin" {
		t.Fatalf("files %v, temporaries %v: want the one entry", files, hidden)
	}
	if data, ok, _ := c.Get("episode", key); !ok || !bytes.Equal(data, []byte{2}) {
		t.Fatalf("got %v %v, want the last value", data, ok)
	}
	c.Discard("episode", key, os.ErrInvalid)
	if _, ok, _ := c.Get("episode", key); ok || !strings.Contains(log.String(), "is corrupt (invalid argument)") {
		t.Fatalf("after Discard: found %v, log %q", ok, log.String())
	}
}
