package cache

import (
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
	if err != nil || st.Entries != 2 || st.Bytes != 9 || len(st.Kinds) != 2 || st.Kinds[0].Kind != "episode" {
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
