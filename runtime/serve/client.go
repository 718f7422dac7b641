package serve

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/policy"
)

// Client talks to a policy server.
type Client struct {
	base  string
	token string
	// JSON sends JSON requests instead of the binary form.
	JSON bool
	HTTP *http.Client
}

// NewClient returns a client of the server at rawURL ("http://host:port").
func NewClient(rawURL, token string) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http://HOST:PORT", rawURL)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return &Client{base: strings.TrimRight(rawURL, "/"), token: token,
		HTTP: &http.Client{Transport: tr, Timeout: 30 * time.Second}}, nil
}

// ServerError is an error answer of the server.
type ServerError struct {
	Status  int
	Message string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("policy server: %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

func (c *Client) do(ctx context.Context, method, path, ct string, body []byte) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, "", err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("policy server %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, "", fmt.Errorf("policy server %s: %w", c.base, err)
	}
	if resp.StatusCode >= 300 {
		var eb errorBody
		if json.Unmarshal(b, &eb) != nil || eb.Error == "" {
			eb.Error = strings.TrimSpace(string(b))
		}
		return nil, "", &ServerError{Status: resp.StatusCode, Message: eb.Error}
	}
	return b, resp.Header.Get("X-Dafscript-Policy"), nil
}

// Act sends one request.
func (c *Client) Act(ctx context.Context, r *ActRequest) (*ActResponse, error) {
	if len(r.Obs) != r.N*sim.ObsSize {
		return nil, fmt.Errorf("%d observation bytes for a batch of %d (want %d each)", len(r.Obs), r.N, sim.ObsSize)
	}
	if c.JSON {
		obs := make([]string, r.N)
		for i := range obs {
			obs[i] = base64.StdEncoding.EncodeToString(r.Obs[i*sim.ObsSize : (i+1)*sim.ObsSize])
		}
		body, err := json.Marshal(map[string]any{"session": r.Session, "reset": r.Resets, "obs": obs})
		if err != nil {
			return nil, err
		}
		b, _, err := c.do(ctx, http.MethodPost, "/v1/act", ContentJSON, body)
		if err != nil {
			return nil, err
		}
		var resp ActResponse
		if err := json.Unmarshal(b, &resp); err != nil {
			return nil, fmt.Errorf("policy server %s: bad answer: %v", c.base, err)
		}
		return &resp, c.checkResp(&resp, r.N)
	}
	b, name, err := c.do(ctx, http.MethodPost, "/v1/act", ContentBinary, EncodeBinary(r))
	if err != nil {
		return nil, err
	}
	resp, err := DecodeBinaryResponse(b)
	if err != nil {
		return nil, fmt.Errorf("policy server %s: %v", c.base, err)
	}
	resp.Policy = name
	return resp, c.checkResp(resp, r.N)
}

func (c *Client) checkResp(r *ActResponse, n int) error {
	if len(r.Actions) != n {
		return fmt.Errorf("policy server %s: %d actions for %d observations", c.base, len(r.Actions), n)
	}
	for _, a := range r.Actions {
		if a < 0 || a >= sim.NumActions {
			return fmt.Errorf("policy server %s: action %d is out of range (0 to %d)", c.base, a, sim.NumActions-1)
		}
	}
	return nil
}

// EndSession closes a session on the server.
func (c *Client) EndSession(ctx context.Context, id string) error {
	_, _, err := c.do(ctx, http.MethodDelete, "/v1/sessions/"+id, "", nil)
	return err
}

// Ready reports the served policy (GET /readyz).
func (c *Client) Ready(ctx context.Context) (string, error) {
	b, _, err := c.do(ctx, http.MethodGet, "/readyz", "", nil)
	if err != nil {
		return "", err
	}
	var r struct {
		Policy string `json:"policy"`
	}
	json.Unmarshal(b, &r)
	return r.Policy, nil
}

// RemoteClass is the policy class of a served policy: its data path is the
// server's URL, e.g. policy.Spec{Class: "remote", Data: "http://127.0.0.1:8080"};
// keyword arguments: token (string), token_env (the name of an environment
// variable holding the token, which keeps the token out of the spec's name
// and so out of result files), json (bool, send JSON instead of the
// binary form).
const RemoteClass = "remote"

var registerOnce sync.Once

// Register adds the class "remote" to the policy registry (sim/policy).
// It is called in one place, the CLI's wiring (and by tests that need
// it); nothing registers it on import.
func Register() {
	registerOnce.Do(func() {
		policy.Register(RemoteClass, "a policy served by dafscript serve; data_path = the server's URL", func(s policy.Spec) (policy.Policy, error) {
			return NewRemote(s)
		})
	})
}

// Remote is a policy played by a server: each controller is a server
// session, so a stateful policy keeps its state and every slot's
// randomness is seeded by the Reset the evaluation gives it.
type Remote struct {
	c *Client
}

// NewRemote builds the remote policy of a spec (class "remote").
func NewRemote(s policy.Spec) (*Remote, error) {
	token := ""
	jsonMode := false
	for k, v := range s.Kwargs {
		switch k {
		case "token":
			t, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("token: want a string, got %T", v)
			}
			token = t
		case "token_env":
			name, ok := v.(string)
			if !ok || name == "" {
				return nil, fmt.Errorf("token_env: want the name of an environment variable, got %v", v)
			}
			t := os.Getenv(name)
			if t == "" {
				return nil, fmt.Errorf("token_env: environment variable %s is not set", name)
			}
			token = t
		case "json":
			b, ok := v.(bool)
			if !ok {
				return nil, fmt.Errorf("json: want True or False, got %T", v)
			}
			jsonMode = b
		default:
			return nil, fmt.Errorf("unknown keyword argument %q (valid: token, token_env, json)", k)
		}
	}
	if s.Data == "" {
		return nil, errors.New("needs a data path: the server's URL, e.g. http://127.0.0.1:8080")
	}
	c, err := NewClient(s.Data, token)
	if err != nil {
		return nil, err
	}
	c.JSON = jsonMode
	return &Remote{c: c}, nil
}

// Name is the class and URL.
func (p *Remote) Name() string { return RemoteClass + ":" + p.c.base }

// NewController opens a session of n slots (on its first Act).
func (p *Remote) NewController(n int) (policy.Controller, error) {
	if n < 0 {
		return nil, fmt.Errorf("remote: negative slot count %d", n)
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	return &remoteController{p: p, n: n, id: "r-" + hex.EncodeToString(id[:])}, nil
}

type remoteController struct {
	p       *Remote
	n       int
	id      string
	resets  []Reset
	started bool
}

func (c *remoteController) Reset(slot int, seed uint64) {
	if slot < 0 || slot >= c.n {
		return
	}
	for i := range c.resets {
		if c.resets[i].Slot == slot {
			c.resets[i].Seed = seed
			return
		}
	}
	c.resets = append(c.resets, Reset{Slot: slot, Seed: seed})
}

func (c *remoteController) Act(obs []uint8, actions []int32) error {
	if len(actions) != c.n || len(obs) != c.n*sim.ObsSize {
		return fmt.Errorf("remote: %d observation bytes and %d action slots for a controller of %d slots", len(obs), len(actions), c.n)
	}
	if c.n == 0 {
		return nil
	}
	resp, err := c.p.c.Act(context.Background(), &ActRequest{Session: c.id, Resets: c.resets, N: c.n, Obs: obs})
	if err != nil {
		return err
	}
	c.resets, c.started = c.resets[:0], true
	copy(actions, resp.Actions)
	return nil
}

func (c *remoteController) Close() error {
	if !c.started {
		return nil
	}
	c.started = false
	return c.p.c.EndSession(context.Background(), c.id)
}
