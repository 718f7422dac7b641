package logging

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLevelsAndFanout(t *testing.T) {
	tests := []struct {
		name      string
		level     slog.Level
		wantTerm  []string // message of each terminal line
		wantJSON  []string // message of each JSON line
		wantLevel []string
	}{
		{"verbose", LevelVerbose, []string{"dbg", "info", "warn", "err"}, []string{"dbg", "info", "warn", "err"}, []string{"DEBUG", "INFO", "WARN", "ERROR"}},
		{"normal", LevelNormal, []string{"info", "warn", "err"}, []string{"info", "warn", "err"}, []string{"INFO", "WARN", "ERROR"}},
		{"quiet", LevelQuiet, []string{"warn", "err"}, []string{"info", "warn", "err"}, []string{"INFO", "WARN", "ERROR"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var term bytes.Buffer
			path := filepath.Join(t.TempDir(), "logs", "daf_20260131_142501.log")
			log, closer, err := New(&term, tc.level, path)
			if err != nil {
				t.Fatal(err)
			}
			log = log.With("session", "20260131_142501")
			log.Debug("dbg", "step", 1)
			log.Info("info", "policies", []string{"a", "b"})
			log.Warn("warn", "mission", "training facility")
			log.Error("err", slog.Group("episode", "seed", uint64(7)))
			if err := closer.Close(); err != nil {
				t.Fatal(err)
			}

			lines := strings.Split(strings.TrimSuffix(term.String(), "\n"), "\n")
			if len(lines) != len(tc.wantTerm) {
				t.Fatalf("terminal lines:\n%s\nwant %d", term.String(), len(tc.wantTerm))
			}
			for i, l := range lines {
				f := strings.Fields(l)
				if len(f) < 3 || f[2] != tc.wantTerm[i] || !strings.Contains(l, "session=20260131_142501") {
					t.Errorf("terminal line %q, want message %q with session attribute", l, tc.wantTerm[i])
				}
			}

			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(bytes.NewReader(data))
			i := 0
			for ; sc.Scan(); i++ {
				var rec map[string]any
				if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
					t.Fatalf("line %d not JSON: %q", i+1, sc.Text())
				}
				if i >= len(tc.wantJSON) || rec["msg"] != tc.wantJSON[i] || rec["level"] != tc.wantLevel[i] || rec["session"] != "20260131_142501" {
					t.Errorf("JSON line %d: %v", i+1, rec)
				}
				if _, err := time.Parse(time.RFC3339Nano, rec["time"].(string)); err != nil {
					t.Errorf("JSON line %d time: %v", i+1, err)
				}
			}
			if i != len(tc.wantJSON) {
				t.Errorf("%d JSON lines, want %d", i, len(tc.wantJSON))
			}
		})
	}
}

func TestTextFormat(t *testing.T) {
	var b bytes.Buffer
	h := NewTextHandler(&b, slog.LevelInfo)
	h.Now = func() time.Time { return time.Date(2026, 1, 31, 14, 25, 1, 0, time.UTC) }
	log := slog.New(h).WithGroup("compare").With("policies", 3)
	log.Info("done", "mission", "training_facility_1", "note", `a "b" c`, slog.Group("ci", "low", 0.5, "high", 1.5))
	log.Warn("slow", "empty", "")
	want := "14:25:01 INFO  done compare.policies=3 compare.mission=training_facility_1 compare.note=\"a \\\"b\\\" c\" compare.ci.low=0.5 compare.ci.high=1.5\n" +
		"14:25:01 WARN  slow compare.policies=3 compare.empty=\"\"\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestNoFile(t *testing.T) {
	var b bytes.Buffer
	log, c, err := New(&b, LevelNormal, "")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hello")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "INFO  hello") {
		t.Errorf("got %q", b.String())
	}
}

func TestBadPath(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	if _, _, err := New(&bytes.Buffer{}, LevelNormal, filepath.Join(f, "x.log")); err == nil {
		t.Error("log under a regular file: no error")
	}
}

func TestLevel(t *testing.T) {
	for _, tc := range []struct {
		v, q bool
		want slog.Level
	}{{false, false, slog.LevelInfo}, {true, false, slog.LevelDebug}, {false, true, slog.LevelWarn}} {
		if got := Level(tc.v, tc.q); got != tc.want {
			t.Errorf("Level(%v, %v) = %v, want %v", tc.v, tc.q, got, tc.want)
		}
	}
}

func TestForRun(t *testing.T) {
	root := t.TempDir()
	var term bytes.Buffer
	log, c, path, err := ForRun(&term, LevelQuiet, root)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("only in the file", "n", 1)
	log.Warn("both")
	c.Close()
	if filepath.Dir(path) != filepath.Join(root, "logs") || !strings.HasPrefix(filepath.Base(path), "daf_") || filepath.Ext(path) != ".log" {
		t.Errorf("log path %q", path)
	}
	data, _ := os.ReadFile(path)
	if strings.Count(string(data), "\n") != 2 || !strings.Contains(string(data), `"msg":"only in the file","n":1`) {
		t.Errorf("log file:\n%s", data)
	}
	if strings.Contains(term.String(), "only in the file") || !strings.Contains(term.String(), "WARN  both") {
		t.Errorf("terminal:\n%s", term.String())
	}
}
