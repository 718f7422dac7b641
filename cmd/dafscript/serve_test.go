package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startServe runs `dafscript serve` in-process on a free loopback port
// and returns its URL and a function that sends it SIGTERM (through
// State.Notify) and returns its exit code and what it wrote to stderr.
func startServe(t *testing.T, dir string, args ...string) (string, func() (int, string)) {
	t.Helper()
	pr, pw := io.Pipe()
	term := make(chan os.Signal, 1)
	st, _, _ := testState(dir)
	st.Stderr = pw
	st.Notify = func(sigs ...os.Signal) (<-chan os.Signal, func()) {
		if len(sigs) != 1 || sigs[0] != syscall.SIGTERM {
			t.Errorf("serve asks for signals %v, want SIGTERM", sigs)
		}
		return term, func() {}
	}
	done := make(chan int, 1)
	go func() {
		done <- Main(st, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
		pw.Close()
	}()
	var stderr strings.Builder
	lines := bufio.NewScanner(pr)
	addr := regexp.MustCompile(`serving .* on (http://127\.0\.0\.1:[0-9]+) `)
	url := ""
	for url == "" && lines.Scan() {
		stderr.WriteString(lines.Text() + "\n")
		if m := addr.FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("serve did not start: %s (exit code %d)", stderr.String(), <-done)
	}
	rest := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(pr)
		rest <- string(b)
	}()
	stop := func() (int, string) {
		term <- syscall.SIGTERM
		select {
		case code := <-done:
			return code, stderr.String() + <-rest
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop within 20s of SIGTERM")
		}
		return 0, ""
	}
	return url, stop
}

// TestServeAnswersBadRequestsWithJSON starts `dafscript serve` on a
// package and sends it bad requests: each gets a 4xx status with a JSON
// body naming the problem; a good one gets actions; SIGTERM stops it
// cleanly (exit code 0).
func TestServeAnswersBadRequestsWithJSON(t *testing.T) {
	dir := t.TempDir()
	st, _, errs := testState(dir)
	if code := Main(st, []string{"package", "baseline", "--name", "agent", "--version", "1", "--path", "agent.dafpkg"}); code != ExitOK {
		t.Fatalf("package: exit code %d\n%s", code, errs)
	}
	url, stop := startServe(t, dir, "--max-body", "100000", filepath.Join(dir, "agent.dafpkg"))

	zeros := "[" + strings.TrimSuffix(strings.Repeat("0,", 600), ",") + "]"
	for _, tc := range []struct {
		name, ct, body string
		code           int
		msg            string
	}{
		{"good", "application/json", `{"obs": [` + zeros + `]}`, 200, ""},
		{"malformed JSON", "application/json", `{"obs": [`, 400, ""},
		{"wrong shape", "application/json", `{"obs": [[1, 2, 3]]}`, 400, "want 600"},
		{"over the size limit", "application/json", `{"obs": [` + strings.Repeat(zeros+",", 200) + zeros + `]}`, 413, "over the limit of 100000 bytes"},
		{"other content type", "text/plain", `hello`, 415, "content type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(url+"/v1/act", tc.ct, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.code, b)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("content type %q, want JSON", ct)
			}
			var body struct {
				Actions []int32 `json:"actions"`
				Policy  string  `json:"policy"`
				Error   string  `json:"error"`
				Status  int     `json:"status"`
			}
			if err := json.Unmarshal(b, &body); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, b)
			}
			if tc.code == 200 {
				if len(body.Actions) != 1 || body.Policy != "agent@1" {
					t.Errorf("answer %s", b)
				}
				return
			}
			if body.Status != tc.code || body.Error == "" || !strings.Contains(body.Error, tc.msg) {
				t.Errorf("error body %s, want status %d and an error containing %q", b, tc.code, tc.msg)
			}
		})
	}
	resp, err := http.Get(url + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()
	code, stderr := stop()
	if code != ExitOK || !strings.Contains(stderr, "stopped") {
		t.Fatalf("after SIGTERM: exit code %d, stderr:\n%s", code, stderr)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("still answering after SIGTERM")
	}
}

// A context cancelled from outside (Ctrl-C cancels the run's) stops serve
// as SIGTERM does.
func TestServeStopsWithItsContext(t *testing.T) {
	dir := t.TempDir()
	st, _, errs := testState(dir)
	if code := Main(st, []string{"package", "random", "--name", "r", "--version", "1", "--path", "r.dafpkg"}); code != ExitOK {
		t.Fatalf("package: exit code %d\n%s", code, errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, _, _ = testState(dir)
	st.Ctx = ctx
	done := make(chan int, 1)
	go func() { done <- Main(st, []string{"serve", "--addr", "127.0.0.1:0", "r.dafpkg"}) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("exit code %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}
