// Package serve is the policy server (dafscript serve) and its client: an
// HTTP server that answers batches of observations with actions, from a
// package file or the current version of a policy in a registry (reloaded
// when the registry's pointer changes), and a remote policy class that
// plays through a server like any local policy.
package serve

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dafscript/dafscript/runtime/pkg"
	"github.com/dafscript/dafscript/runtime/registry"
	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/policy"
)

// Options configures a server.
type Options struct {
	// Package is a .dafpkg file to serve; or else Registry and Name name a
	// deployed policy whose current version is served and followed.
	Package  string
	Registry string
	Name     string

	Addr string // host:port; "127.0.0.1:8080" by default
	// Public allows binding an address other than loopback.
	Public bool
	// Token, if not empty, is required as "Authorization: Bearer TOKEN" on
	// every endpoint but /healthz and /readyz.
	Token string

	MaxBodyBytes int64         // request size limit; 4 MiB by default
	MaxBatch     int           // observations per request; 4096 by default
	ReadTimeout  time.Duration // 10s by default
	WriteTimeout time.Duration // 10s by default
	SessionIdle  time.Duration // a session unused this long is closed; 5m by default
	MaxSessions  int           // 4096 by default
	ReloadEvery  time.Duration // how often the registry pointer is read; 1s by default
	// Kwargs override the package's policy keyword arguments (device,
	// threads).
	Kwargs map[string]any
	// Log receives one line per reload or failure; nil discards.
	Log *log.Logger
}

// DefaultAddr is where a server listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8080"

// ParseSource reads the argument of dafscript serve: a .dafpkg file, or
// REGISTRY/NAME.
func (o *Options) ParseSource(s string) {
	if strings.HasSuffix(s, pkg.Ext) {
		o.Package = s
		return
	}
	s = strings.TrimRight(s, "/\\")
	i := strings.LastIndexAny(s, "/\\")
	if i < 0 {
		o.Registry, o.Name = ".", s
		return
	}
	o.Registry, o.Name = s[:i], s[i+1:]
}

// Check validates the options and fills in defaults.
func (o *Options) Check() error {
	if (o.Package == "") == (o.Registry == "" && o.Name == "") {
		return errors.New("give either a package file (.dafpkg) or a registry folder and a policy name (REGISTRY/NAME)")
	}
	if o.Package == "" {
		if o.Registry == "" {
			return errors.New("registry: no registry folder given")
		}
		if err := pkg.CheckName("name", o.Name); err != nil {
			return err
		}
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	host, port, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return fmt.Errorf("addr %q: want HOST:PORT, e.g. %s", o.Addr, DefaultAddr)
	}
	if !o.Public {
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("addr %q is not a loopback address; pass --public (Public) to serve other machines, preferably with a token", o.Addr)
		}
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("addr %q: bad port: %v", o.Addr, err)
	}
	def := func(d *time.Duration, v time.Duration, name string) error {
		if *d == 0 {
			*d = v
		}
		if *d < 0 {
			return fmt.Errorf("%s must be positive, got %v", name, *d)
		}
		return nil
	}
	for _, e := range []error{
		def(&o.ReadTimeout, 10*time.Second, "read timeout"),
		def(&o.WriteTimeout, 10*time.Second, "write timeout"),
		def(&o.SessionIdle, 5*time.Minute, "session idle timeout"),
		def(&o.ReloadEvery, time.Second, "reload interval"),
	} {
		if e != nil {
			return e
		}
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 4 << 20
	}
	if o.MaxBatch == 0 {
		o.MaxBatch = 4096
	}
	if o.MaxSessions == 0 {
		o.MaxSessions = 4096
	}
	if o.MaxBodyBytes < 0 || o.MaxBatch < 0 || o.MaxSessions < 0 {
		return errors.New("limits must be positive")
	}
	return nil
}

// model is one loaded package.
type model struct {
	pol  policy.Policy
	name string // name@version
	sha  string
	// idle holds controllers of requests without a session, by slot
	// count, for reuse: every slot is reset before each use, which clears
	// its state (the Controller contract), so reuse changes no action.
	idle sync.Map // int -> *sync.Pool
}

// maxPooled is the largest batch whose controllers are kept for reuse.
const maxPooled = 256

func (m *model) get(n int) (policy.Controller, error) {
	if n <= maxPooled {
		if p, ok := m.idle.Load(n); ok {
			if c, ok := p.(*sync.Pool).Get().(policy.Controller); ok {
				return c, nil
			}
		}
	}
	return m.pol.NewController(n)
}

func (m *model) put(n int, c policy.Controller) {
	if n > maxPooled {
		c.Close()
		return
	}
	p, _ := m.idle.LoadOrStore(n, &sync.Pool{})
	p.(*sync.Pool).Put(c)
}

type session struct {
	mu   sync.Mutex
	m    *model
	ctrl policy.Controller
	n    int
	last time.Time
}

// Server serves one policy.
type Server struct {
	o       Options
	cur     atomic.Pointer[model]
	met     *metrics
	closing atomic.Bool

	mu       sync.Mutex
	sessions map[string]*session
	version  string // registry version being served
}

// New loads the policy o names; a package that does not verify or load is
// an error, and nothing is served.
func New(o Options) (*Server, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	s := &Server{o: o, met: newMetrics(), sessions: map[string]*session{}}
	if o.Package != "" {
		m, err := load(o.Package, o.Kwargs)
		if err != nil {
			return nil, err
		}
		s.cur.Store(m)
		return s, nil
	}
	if _, err := s.reload(); err != nil {
		return nil, err
	}
	return s, nil
}

func load(path string, kw map[string]any) (*model, error) {
	p, err := pkg.Open(path)
	if err != nil {
		return nil, err
	}
	pol, err := p.Policy(kw)
	if err != nil {
		return nil, err
	}
	return &model{pol: pol, name: pol.Name(), sha: p.SHA256}, nil
}

// reload loads the registry's current version if it changed.
func (s *Server) reload() (bool, error) {
	reg, err := registry.Open(s.o.Registry, false)
	if err != nil {
		return false, err
	}
	path, ptr, err := reg.CurrentPath(s.o.Name)
	if err != nil {
		return false, err
	}
	if ptr.Version == s.version {
		return false, nil
	}
	m, err := load(path, s.o.Kwargs)
	if err != nil {
		return false, err
	}
	s.cur.Store(m)
	s.version = ptr.Version
	return true, nil
}

func (s *Server) logf(format string, a ...any) {
	if s.o.Log != nil {
		s.o.Log.Printf(format, a...)
	}
}

// Policy is the name@version being served to new sessions.
func (s *Server) Policy() string { return s.cur.Load().name }

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(c int) {
	w.code = c
	w.ResponseWriter.WriteHeader(c)
}

func (s *Server) serveHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w := &statusWriter{ResponseWriter: rw, code: 200}
	path := r.URL.Path
	defer func() {
		if p := recover(); p != nil {
			s.fail(w, http.StatusInternalServerError, fmt.Sprintf("internal error: %v", p))
		}
		label := path
		switch {
		case strings.HasPrefix(path, "/v1/sessions/"):
			label = "/v1/sessions/{id}"
		case path != "/v1/act" && path != "/healthz" && path != "/readyz" && path != "/metrics":
			label = "other"
		}
		s.met.observe(label, w.code, time.Since(start))
	}()
	if path != "/healthz" && path != "/readyz" && s.o.Token != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.o.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dafscript"`)
			s.fail(w, http.StatusUnauthorized, "missing or wrong bearer token (send Authorization: Bearer TOKEN)")
			return
		}
	}
	method := func(m string) bool {
		if r.Method != m {
			w.Header().Set("Allow", m)
			s.fail(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: use %s", r.Method, path, m))
			return false
		}
		return true
	}
	switch {
	case path == "/v1/act":
		if method(http.MethodPost) {
			s.act(w, r)
		}
	case strings.HasPrefix(path, "/v1/sessions/"):
		if method(http.MethodDelete) {
			s.endSession(w, strings.TrimPrefix(path, "/v1/sessions/"))
		}
	case path == "/healthz":
		if method(http.MethodGet) {
			writeJSON(w, 200, map[string]any{"status": "ok"})
		}
	case path == "/readyz":
		if method(http.MethodGet) {
			if s.closing.Load() {
				s.fail(w, http.StatusServiceUnavailable, "shutting down")
				return
			}
			m := s.cur.Load()
			writeJSON(w, 200, map[string]any{"status": "ready", "policy": m.name, "sha256": m.sha})
		}
	case path == "/metrics":
		if method(http.MethodGet) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
			s.mu.Lock()
			n := len(s.sessions)
			s.mu.Unlock()
			s.met.write(w, n, s.cur.Load().name)
		}
	default:
		s.fail(w, http.StatusNotFound, "no such endpoint "+path+" (POST /v1/act, DELETE /v1/sessions/{id}, GET /healthz, /readyz, /metrics)")
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", ContentJSON)
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// errorBody is the JSON body of every error.
type errorBody struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
}

func (s *Server) fail(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Error: msg, Status: code})
}

func (s *Server) act(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	bin := ct == ContentBinary
	if !bin && ct != ContentJSON && ct != "" {
		s.fail(w, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q: send %s or %s", ct, ContentJSON, ContentBinary))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			s.fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over the limit of %d bytes", s.o.MaxBodyBytes))
			return
		}
		s.fail(w, http.StatusBadRequest, "reading the request: "+err.Error())
		return
	}
	var req *ActRequest
	if bin {
		req, err = decodeBinary(body, s.o.MaxBatch)
	} else {
		req, err = decodeJSON(body, s.o.MaxBatch)
	}
	if err == nil {
		err = checkSession(req.Session)
	}
	if err == nil {
		for _, rs := range req.Resets {
			if rs.Slot < 0 || rs.Slot >= req.N {
				err = fmt.Errorf("reset of slot %d: the batch has slots 0 to %d", rs.Slot, req.N-1)
				break
			}
		}
	}
	if err != nil {
		s.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	resp, code, err := s.run(req)
	if err != nil {
		s.fail(w, code, err.Error())
		return
	}
	s.met.observations.Add(uint64(req.N))
	if bin {
		w.Header().Set("Content-Type", ContentBinary)
		w.Header().Set("X-Dafscript-Policy", resp.Policy)
		w.Write(encodeBinaryResponse(resp))
		return
	}
	writeJSON(w, 200, resp)
}

// run acts on a request: through the session's controller, or a fresh one
// for a request without a session.
func (s *Server) run(req *ActRequest) (*ActResponse, int, error) {
	var (
		m    *model
		ctrl policy.Controller
		err  error
	)
	if req.Session == "" {
		m = s.cur.Load()
		if ctrl, err = m.get(req.N); err != nil {
			return nil, 500, err
		}
		defer m.put(req.N, ctrl)
		for i := 0; i < req.N; i++ {
			ctrl.Reset(i, sim.DeriveSeed(0, "serve.slot", uint64(i)))
		}
	} else {
		ss, code, err := s.session(req.Session, req.N)
		if err != nil {
			return nil, code, err
		}
		defer ss.mu.Unlock()
		m, ctrl = ss.m, ss.ctrl
	}
	for _, rs := range req.Resets {
		ctrl.Reset(rs.Slot, rs.Seed)
	}
	resp := &ActResponse{Actions: make([]int32, req.N), Policy: m.name, SHA256: m.sha}
	if err := ctrl.Act(req.Obs, resp.Actions); err != nil {
		return nil, 500, fmt.Errorf("policy %s: %v", m.name, err)
	}
	if v, ok := ctrl.(interface{ Values() []float32 }); ok {
		resp.Values = append([]float32(nil), v.Values()[:req.N]...)
	}
	return resp, 200, nil
}

// session returns the locked session id, creating it with n slots.
func (s *Server) session(id string, n int) (*session, int, error) {
	s.mu.Lock()
	ss, ok := s.sessions[id]
	if !ok {
		if len(s.sessions) >= s.o.MaxSessions {
			s.mu.Unlock()
			return nil, http.StatusTooManyRequests, fmt.Errorf("%d sessions are open, the limit; end some (DELETE /v1/sessions/{id}) or wait for idle ones to close", s.o.MaxSessions)
		}
		m := s.cur.Load()
		ctrl, err := m.pol.NewController(n)
		if err != nil {
			s.mu.Unlock()
			return nil, 500, err
		}
		for i := 0; i < n; i++ {
			ctrl.Reset(i, sim.DeriveSeed(0, "serve.slot", uint64(i)))
		}
		ss = &session{m: m, ctrl: ctrl, n: n}
		s.sessions[id] = ss
	}
	ss.last = time.Now()
	s.mu.Unlock()
	ss.mu.Lock()
	if ss.n != n {
		ss.mu.Unlock()
		return nil, http.StatusBadRequest, fmt.Errorf("session %s has %d slots; this request sends %d observations", id, ss.n, n)
	}
	return ss, 200, nil
}

func (s *Server) endSession(w http.ResponseWriter, id string) {
	if err := checkSession(id); err != nil || id == "" {
		s.fail(w, http.StatusBadRequest, "bad session id")
		return
	}
	s.mu.Lock()
	ss, ok := s.sessions[id]
	delete(s.sessions, id)
	s.mu.Unlock()
	if !ok {
		s.fail(w, http.StatusNotFound, "no session "+id)
		return
	}
	ss.mu.Lock()
	ss.ctrl.Close()
	ss.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// expire closes sessions idle since before cutoff.
func (s *Server) expire(cutoff time.Time) int {
	s.mu.Lock()
	var old []*session
	for id, ss := range s.sessions {
		if ss.last.Before(cutoff) {
			old = append(old, ss)
			delete(s.sessions, id)
		}
	}
	s.mu.Unlock()
	for _, ss := range old {
		ss.mu.Lock()
		ss.ctrl.Close()
		ss.mu.Unlock()
	}
	return len(old)
}

// Serve serves on ln until ctx is done, then shuts down gracefully:
// /readyz turns 503, no new connection is accepted and requests in flight
// finish (within the write timeout).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s.Handler(), ReadTimeout: s.o.ReadTimeout, WriteTimeout: s.o.WriteTimeout,
		ReadHeaderTimeout: s.o.ReadTimeout, MaxHeaderBytes: 64 << 10}
	bg, stop := context.WithCancel(context.Background())
	defer stop()
	go s.housekeeping(bg)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.closing.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), s.o.WriteTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-errc
	s.expire(time.Now().Add(time.Hour))
	return err
}

func (s *Server) housekeeping(ctx context.Context) {
	every := min(s.o.SessionIdle/4, s.o.ReloadEvery)
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.expire(now.Add(-s.o.SessionIdle))
			if s.o.Registry != "" {
				if ok, err := s.reload(); err != nil {
					s.met.reloadErrors.Add(1)
					s.logf("reload of %s/%s failed, still serving %s: %v", s.o.Registry, s.o.Name, s.Policy(), err)
				} else if ok {
					s.met.reloads.Add(1)
					s.logf("now serving %s", s.Policy())
				}
			}
		}
	}
}

// Listen opens o.Addr, with a clear error for a port in use.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("addr %s is already in use: stop what listens there or choose another port (--addr 127.0.0.1:PORT)", addr)
		}
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Run loads the policy, listens on o.Addr and serves until ctx is done
// (the command cancels it on SIGTERM or SIGINT). ready, if not nil, is
// called with the address once the server accepts connections.
func Run(ctx context.Context, o Options, ready func(addr string)) error {
	s, err := New(o)
	if err != nil {
		return err
	}
	ln, err := Listen(s.o.Addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	return s.Serve(ctx, ln)
}
