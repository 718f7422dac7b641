package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/pkg"
	"github.com/dafscript/dafscript/runtime/registry"
	"github.com/dafscript/dafscript/runtime/train/torch"
	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

func writePkg(t testing.TB, spec policy.Spec, version string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), spec.Class+"-"+version+".dafpkg")
	if _, err := pkg.Write(context.Background(), nil, pkg.Options{Policy: spec, Name: "agent", Version: version, Out: out}); err != nil {
		t.Fatal(err)
	}
	return out
}

// neuralPkg packages a hidden-size-8 network with seeded weights (no
// training needed); it skips the test when libtorch cannot be loaded.
func neuralPkg(t testing.TB, class string, kw map[string]any) string {
	t.Helper()
	if err := torch.Load(); err != nil {
		t.Skipf("no libtorch: %v", err)
	}
	cfg, _ := torch.DefaultConfig(class, 8)
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := torch.WriteCheckpoint(dir, &torch.Checkpoint{Config: cfg, Params: cfg.Init(11)}); err != nil {
		t.Fatal(err)
	}
	if kw == nil {
		kw = map[string]any{}
	}
	kw["threads"] = int64(1)
	return writePkg(t, policy.Spec{Class: class, Data: dir, Kwargs: kw}, "1")
}

func newServer(t testing.TB, o Options) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return s, hs
}

// observations returns n observations of training_facility_1 agents.
func observations(t testing.TB, n int) []uint8 {
	t.Helper()
	m, err := mission.Get("training_facility_1")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := m.Build(1)
	if err != nil {
		t.Fatal(err)
	}
	env, err := sim.NewEnv(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint8
	acts := make([]int32, env.NumAgents())
	for len(out) < n*sim.ObsSize {
		out = append(out, env.Observations()...)
		env.Step(acts)
	}
	return out[:n*sim.ObsSize]
}

// TestServedEqualsInProcess plays the same episodes with a package in
// process and served over HTTP (binary and JSON): identical results.
func TestServedEqualsInProcess(t *testing.T) {
	type tc struct {
		name string
		path func(t *testing.T) string
	}
	cases := []tc{
		{"baseline", func(t *testing.T) string { return writePkg(t, policy.Spec{Class: "baseline"}, "1") }},
		{"random", func(t *testing.T) string { return writePkg(t, policy.Spec{Class: "random"}, "1") }},
		{"stateless", func(t *testing.T) string { return neuralPkg(t, "stateless", nil) }},
		{"lstm", func(t *testing.T) string { return neuralPkg(t, "lstm", nil) }},
	}
	m, _ := mission.Get("training_facility_1")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := c.path(t)
			_, hs := newServer(t, Options{Package: path})
			run := func(spec policy.Spec) []eval.Episode {
				res, err := eval.Run(context.Background(), eval.Options{Entries: []eval.Entry{{Name: "x", Members: []eval.Member{{Spec: spec, Proportion: 1}}}},
					Missions: []*mission.Mission{m}, Episodes: 3, Seed: 5, MaxSteps: 150, Jobs: 1, Batch: 2})
				if err != nil {
					t.Fatal(err)
				}
				for i := range res.Results {
					res.Results[i].Assignment = nil
				}
				return res.Results
			}
			local := run(policy.Spec{Class: pkg.Class, Data: path})
			for _, kw := range []map[string]any{nil, {"json": true}} {
				remote := run(policy.Spec{Class: RemoteClass, Data: hs.URL, Kwargs: kw})
				a, _ := json.Marshal(local)
				b, _ := json.Marshal(remote)
				if !bytes.Equal(a, b) {
					t.Errorf("served (%v) and in-process episodes differ:\n%s\n%s", kw, a, b)
				}
			}
			if c.name == "baseline" && local[0].Reward == 0 && local[1].Reward == 0 {
				t.Log("note: baseline scored nothing in 150 steps")
			}
		})
	}
}

func post(t *testing.T, url, ct string, body []byte, hdr ...string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil && resp.Header.Get("Content-Type") == ContentJSON {
		t.Fatalf("body %q: %v", b, err)
	}
	return resp.StatusCode, m
}

func jsonObs(obs []uint8, n int) string {
	var parts []string
	for i := 0; i < n; i++ {
		b, _ := json.Marshal(toInts(obs[i*sim.ObsSize : (i+1)*sim.ObsSize]))
		parts = append(parts, string(b))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func toInts(b []uint8) []int {
	out := make([]int, len(b))
	for i, v := range b {
		out[i] = int(v)
	}
	return out
}

func TestActAndBadInput(t *testing.T) {
	path := writePkg(t, policy.Spec{Class: "baseline"}, "1")
	_, hs := newServer(t, Options{Package: path, MaxBodyBytes: 64 << 10, MaxBatch: 8, Token: "s3cret"})
	auth := []string{"Authorization", "Bearer s3cret"}
	obs := observations(t, 4)
	url := hs.URL + "/v1/act"

	code, body := post(t, url, ContentJSON, []byte(`{"obs":`+jsonObs(obs, 4)+`}`), auth...)
	if code != 200 || len(body["actions"].([]any)) != 4 || body["policy"] != "agent@1" {
		t.Fatalf("act: %d %v", code, body)
	}
	bin := EncodeBinary(&ActRequest{N: 4, Obs: obs})
	short := append([]byte(nil), bin[:len(bin)-1]...)
	big := bytes.Repeat([]byte(" "), 70<<10)
	tests := []struct {
		name, ct string
		body     []byte
		hdr      []string
		code     int
		want     string
	}{
		{"no token", ContentJSON, []byte(`{}`), nil, 401, "bearer token"},
		{"wrong token", ContentJSON, []byte(`{}`), []string{"Authorization", "Bearer x"}, 401, "bearer token"},
		{"malformed JSON", ContentJSON, []byte(`{"obs": [`), auth, 400, "malformed JSON"},
		{"no obs", ContentJSON, []byte(`{}`), auth, 400, `"obs" is missing`},
		{"short obs", ContentJSON, []byte(`{"obs": [[1,2,3]]}`), auth, 400, "obs[0] has 3 values, want 600"},
		{"not a byte", ContentJSON, []byte(`{"obs": [[` + strings.Repeat("300,", 599) + `1]]}`), auth, 400, "obs[0][0] = 300 is not a byte"},
		{"flat obs", ContentJSON, []byte(`{"obs": [` + strings.Repeat("1,", 599) + `1]}`), auth, 400, `"obs" is a list of observations`},
		{"base64 wrong size", ContentJSON, []byte(`{"obs": ["AAAA"]}`), auth, 400, "obs[0] has 3 bytes, want 600"},
		{"over batch", ContentJSON, []byte(`{"obs":` + jsonObs(observations(t, 9), 9) + `}`), auth, 400, "over the limit of 8"},
		{"over size", ContentJSON, big, auth, 413, "over the limit of 65536 bytes"},
		{"reset out of range", ContentJSON, []byte(`{"reset":[{"slot":4,"seed":1}],"obs":` + jsonObs(obs, 4) + `}`), auth, 400, "reset of slot 4"},
		{"bad session", ContentJSON, []byte(`{"session":"a b","obs":` + jsonObs(obs, 1) + `}`), auth, 400, "session \"a b\""},
		{"content type", "text/plain", []byte(`x`), auth, 415, "content type"},
		{"binary truncated", ContentBinary, short, auth, 400, "needs"},
		{"binary header", ContentBinary, []byte("nope"), auth, 400, "header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(t, url, tc.ct, tc.body, tc.hdr...)
			msg, _ := body["error"].(string)
			if code != tc.code || !strings.Contains(msg, tc.want) {
				t.Errorf("got %d %q, want %d with %q", code, msg, tc.code, tc.want)
			}
		})
	}
	// Wrong method and unknown path: JSON errors too.
	for _, c := range []struct {
		method, path string
		code         int
	}{{"GET", "/v1/act", 405}, {"GET", "/v2/x", 404}, {"POST", "/healthz", 405}} {
		req, _ := http.NewRequest(c.method, hs.URL+c.path, nil)
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var eb errorBody
		json.NewDecoder(resp.Body).Decode(&eb)
		resp.Body.Close()
		if resp.StatusCode != c.code || eb.Status != c.code || eb.Error == "" {
			t.Errorf("%s %s: %d %+v", c.method, c.path, resp.StatusCode, eb)
		}
	}
	// Binary round trip through the client.
	cl, _ := NewClient(hs.URL, "s3cret")
	resp, err := cl.Act(context.Background(), &ActRequest{N: 4, Obs: obs})
	if err != nil || len(resp.Actions) != 4 || resp.Policy != "agent@1" || resp.Values != nil {
		t.Fatalf("client: %+v %v", resp, err)
	}
	// The same actions as JSON (the baseline is deterministic).
	if got := fmt.Sprint(body["actions"]); got != fmt.Sprint(resp.Actions) {
		t.Errorf("JSON actions %s, binary %v", got, resp.Actions)
	}
	var se *ServerError
	cl.token = "bad"
	if _, err := cl.Act(context.Background(), &ActRequest{N: 4, Obs: obs}); !errors.As(err, &se) || se.Status != 401 {
		t.Errorf("client with a bad token: %v", err)
	}
	// Health and readiness need no token; metrics do.
	for _, p := range []string{"/healthz", "/readyz"} {
		r, err := http.Get(hs.URL + p)
		if err != nil || r.StatusCode != 200 {
			t.Errorf("%s: %v %v", p, r, err)
		}
		r.Body.Close()
	}
	req, _ := http.NewRequest("GET", hs.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, want := range []string{
		`dafscript_serve_requests_total{path="/v1/act",code="200"} 2`,
		`dafscript_serve_requests_total{path="/v1/act",code="400"} `,
		`dafscript_serve_requests_total{path="/v1/act",code="413"} 1`,
		`dafscript_serve_act_duration_seconds_bucket{le="+Inf"} `,
		`dafscript_serve_act_duration_seconds_count `,
		`dafscript_serve_observations_total 8`,
		`# TYPE dafscript_serve_act_duration_seconds histogram`,
		`dafscript_serve_policy_info{policy="agent@1"} 1`,
	} {
		if !strings.Contains(string(mb), want) {
			t.Errorf("metrics lack %q:\n%s", want, mb)
		}
	}
}

func TestSessions(t *testing.T) {
	path := writePkg(t, policy.Spec{Class: "random"}, "1")
	s, hs := newServer(t, Options{Package: path, MaxSessions: 2})
	cl, _ := NewClient(hs.URL, "")
	ctx := context.Background()
	obs := observations(t, 2)
	act := func(id string, n int, resets ...Reset) ([]int32, error) {
		r, err := cl.Act(ctx, &ActRequest{Session: id, N: n, Obs: obs[:n*sim.ObsSize], Resets: resets})
		if err != nil {
			return nil, err
		}
		return r.Actions, nil
	}
	// A session continues its random stream; a reset with the same seed
	// replays it.
	a1, _ := act("s1", 2, Reset{0, 9}, Reset{1, 10})
	a2, _ := act("s1", 2)
	b1, _ := act("s2", 2, Reset{0, 9}, Reset{1, 10})
	b2, _ := act("s2", 2)
	if fmt.Sprint(a1, a2) != fmt.Sprint(b1, b2) {
		t.Errorf("same seeds, different streams: %v %v / %v %v", a1, a2, b1, b2)
	}
	if _, err := act("s1", 1); err == nil || !strings.Contains(err.Error(), "session s1 has 2 slots") {
		t.Errorf("slot mismatch: %v", err)
	}
	if _, err := act("s3", 1); err == nil || !strings.Contains(err.Error(), "429") {
		t.Errorf("session limit: %v", err)
	}
	if err := cl.EndSession(ctx, "s2"); err != nil {
		t.Fatal(err)
	}
	if err := cl.EndSession(ctx, "s2"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("end twice: %v", err)
	}
	// Requests without a session reuse controllers, with every slot reset:
	// the same batch gets the same actions.
	n1, _ := act("", 2)
	n2, _ := act("", 2)
	if fmt.Sprint(n1) != fmt.Sprint(n2) {
		t.Errorf("sessionless requests differ: %v %v", n1, n2)
	}
	// Idle sessions expire.
	if n := s.expire(time.Now().Add(time.Minute)); n != 1 {
		t.Errorf("expired %d sessions, want 1", n)
	}
}

func TestNeuralValues(t *testing.T) {
	path := neuralPkg(t, "stateless", map[string]any{"greedy": true})
	_, hs := newServer(t, Options{Package: path})
	cl, _ := NewClient(hs.URL, "")
	resp, err := cl.Act(context.Background(), &ActRequest{N: 4, Obs: observations(t, 4)})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Values) != 4 {
		t.Fatalf("values %v", resp.Values)
	}
	allZero := true
	for _, v := range resp.Values {
		allZero = allZero && v == 0
	}
	if allZero {
		t.Errorf("values are all zero")
	}
}

func TestHotReload(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reg")
	reg, err := registry.Open(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	install := func(class, v string) {
		b, m, err := pkg.Build(pkg.Options{Policy: policy.Spec{Class: class}, Name: "agent", Version: v})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.Install(b, m); err != nil {
			t.Fatal(err)
		}
	}
	install("noop", "1")
	var o Options
	o.ParseSource(dir + "/agent")
	if o.Registry != dir || o.Name != "agent" {
		t.Fatalf("ParseSource: %+v", o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Policy() != "agent@1" {
		t.Fatalf("serving %s", s.Policy())
	}
	install("random", "2")
	if ok, err := s.reload(); !ok || err != nil || s.Policy() != "agent@2" {
		t.Errorf("reload: %v %v, serving %s", ok, err, s.Policy())
	}
	if ok, _ := s.reload(); ok {
		t.Errorf("reload without a change loaded again")
	}
	// A corrupted new version is not served: the old one stays.
	install("baseline", "3")
	p := reg.PackagePath("agent", "3")
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 0xff
	os.WriteFile(p, b, 0o644)
	if _, err := s.reload(); err == nil || s.Policy() != "agent@2" {
		t.Errorf("corrupted version: %v, serving %s", err, s.Policy())
	}
	// Through the housekeeping loop of a running server.
	reg.Rollback("agent")
	reg.Rollback("agent")
	o.ReloadEvery = 10 * time.Millisecond
	o.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	addr := make(chan string, 1)
	go func() { done <- Run(ctx, o, func(a string) { addr <- a }) }()
	cl, _ := NewClient("http://"+<-addr, "")
	if name, err := cl.Ready(ctx); err != nil || name != "agent@1" {
		t.Fatalf("ready: %q %v", name, err)
	}
	install("random", "4")
	deadline := time.Now().Add(5 * time.Second)
	for {
		name, _ := cl.Ready(ctx)
		if name == "agent@4" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still serving %s", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

func TestOptionsAndListen(t *testing.T) {
	path := writePkg(t, policy.Spec{Class: "noop"}, "1")
	tests := []struct {
		o    Options
		want string
	}{
		{Options{}, "give either a package file"},
		{Options{Package: path, Registry: "r", Name: "n"}, "give either"},
		{Options{Package: path, Addr: "0.0.0.0:8080"}, "not a loopback address"},
		{Options{Package: path, Addr: "8080"}, "want HOST:PORT"},
		{Options{Registry: "r", Name: "../x"}, "name \"../x\""},
	}
	for _, tc := range tests {
		if err := tc.o.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.want)
		}
	}
	ok := Options{Package: path, Addr: "0.0.0.0:0", Public: true}
	if err := ok.Check(); err != nil {
		t.Errorf("public: %v", err)
	}
	if _, err := New(Options{Package: filepath.Join(t.TempDir(), "x.dafpkg")}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing package: %v", err)
	}
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = Run(context.Background(), Options{Package: path, Addr: ln.Addr().String()}, nil)
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("port in use: %v", err)
	}
}

// TestGracefulShutdown: a request in flight when the context ends is
// answered; /readyz turns 503 meanwhile.
func TestGracefulShutdown(t *testing.T) {
	path := writePkg(t, policy.Spec{Class: "noop"}, "1")
	s, err := New(Options{Package: path, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()
	// A slow client: the body arrives after the shutdown began.
	pr, pw := io.Pipe()
	respc := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Post(url+"/v1/act", ContentJSON, pr)
		if err != nil {
			t.Error(err)
		}
		respc <- resp
	}()
	pw.Write([]byte(`{"obs":`))
	time.Sleep(50 * time.Millisecond)
	cancel()
	time.Sleep(50 * time.Millisecond)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 {
		t.Errorf("readyz during shutdown: %d", rec.Code)
	}
	pw.Write([]byte(jsonObs(observations(t, 1), 1) + `}`))
	pw.Close()
	resp := <-respc
	if resp == nil || resp.StatusCode != 200 {
		t.Fatalf("in-flight request: %v", resp)
	}
	resp.Body.Close()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}

func TestMain(m *testing.M) {
	pkg.Register()
	Register()
	torch.RegisterPolicies()
	os.Exit(m.Run())
}
