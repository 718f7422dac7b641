package queue

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// DefaultConnectTimeout bounds how long Connect tries a server.
const DefaultConnectTimeout = 5 * time.Second

// ConnOptions says how to reach a NATS server (`--nats URL` and its
// credentials).
type ConnOptions struct {
	// URL is nats://host:4222 (or tls://host:4222); several servers of a
	// cluster may be given, separated by commas.
	URL string
	// Token authenticates with a shared token.
	Token string
	// NKeyFile is a file holding an nkey seed ("SU..."), for servers that
	// list the user's public nkey.
	NKeyFile string
	// CredsFile is a .creds file (a user JWT and its nkey seed), for
	// servers in operator mode.
	CredsFile string
	// TLSCAFile verifies the server's certificate against this CA (PEM);
	// TLSCertFile and TLSKeyFile present a client certificate. Any of
	// them turns TLS on.
	TLSCAFile, TLSCertFile, TLSKeyFile string
	// Timeout bounds the connection attempt; 0 means DefaultConnectTimeout.
	Timeout time.Duration
	// Name is the connection's name as the server shows it.
	Name string
}

// Check validates the options: a URL, at most one way to authenticate,
// files that exist, a client certificate with its key.
func (o *ConnOptions) Check() error {
	if strings.TrimSpace(o.URL) == "" {
		return errors.New("--nats: no URL given (want nats://host:4222)")
	}
	for _, u := range strings.Split(o.URL, ",") {
		u = strings.TrimSpace(u)
		scheme, rest, ok := strings.Cut(u, "://")
		if !ok || rest == "" || !(scheme == "nats" || scheme == "tls" || scheme == "ws" || scheme == "wss") {
			return fmt.Errorf("--nats: %q is not a NATS URL (want nats://host:4222 or tls://host:4222)", u)
		}
	}
	auth := 0
	for _, s := range []string{o.Token, o.NKeyFile, o.CredsFile} {
		if s != "" {
			auth++
		}
	}
	if auth > 1 {
		return errors.New("--nats: give one of a token, an nkey seed file or a creds file, not several")
	}
	for _, f := range []struct{ flag, path string }{
		{"--nats-nkey", o.NKeyFile}, {"--nats-creds", o.CredsFile},
		{"--nats-ca", o.TLSCAFile}, {"--nats-cert", o.TLSCertFile}, {"--nats-key", o.TLSKeyFile},
	} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			return fmt.Errorf("%s: %w", f.flag, err)
		}
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		return errors.New("--nats-cert and --nats-key go together: a client certificate needs its key")
	}
	if o.Timeout < 0 {
		return fmt.Errorf("NATS connect timeout must be >= 0, got %v", o.Timeout)
	}
	return nil
}

// Connect connects to the server o names, failing within o.Timeout with
// an error that says what is wrong: unreachable, refused credentials, a
// TLS problem.
func Connect(o ConnOptions) (*nats.Conn, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = DefaultConnectTimeout
	}
	opts := []nats.Option{nats.Timeout(timeout), nats.Name(connName(o.Name)), nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second)}
	switch {
	case o.Token != "":
		opts = append(opts, nats.Token(o.Token))
	case o.NKeyFile != "":
		opt, err := nats.NkeyOptionFromSeed(o.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--nats-nkey %s: %w", o.NKeyFile, err)
		}
		opts = append(opts, opt)
	case o.CredsFile != "":
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.TLSCAFile != "" {
		opts = append(opts, nats.RootCAs(o.TLSCAFile))
	}
	if o.TLSCertFile != "" {
		opts = append(opts, nats.ClientCert(o.TLSCertFile, o.TLSKeyFile))
	}
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return nil, connectError(o.URL, timeout, err)
	}
	return nc, nil
}

func connName(n string) string {
	if n != "" {
		return n
	}
	host, _ := os.Hostname()
	return "dafscript " + host + " pid " + strconv.Itoa(os.Getpid())
}

func connectError(url string, timeout time.Duration, err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, nats.ErrAuthorization) || strings.Contains(strings.ToLower(msg), "authorization"):
		return fmt.Errorf("NATS server %s refused the credentials (%v): check --nats-token, --nats-nkey or --nats-creds", url, err)
	case errors.Is(err, nats.ErrNoServers):
		return fmt.Errorf("cannot reach a NATS server at %s within %v (%v): is nats-server running and the port open?", url, timeout, err)
	case strings.Contains(msg, "tls") || strings.Contains(msg, "x509") || strings.Contains(msg, "certificate"):
		return fmt.Errorf("NATS server %s: TLS failed (%v): check --nats-ca, --nats-cert and --nats-key, and the URL's scheme", url, err)
	}
	return fmt.Errorf("NATS server %s: %w", url, err)
}

// ServerOptions configures an embedded server.
type ServerOptions struct {
	// StoreDir holds the JetStream file store (a folder under the
	// session's output folder). Required.
	StoreDir string
	// Listen is "host:port" to accept outside workers; "" (the default)
	// listens on no port at all: only this process connects.
	Listen string
	// Token is the token outside workers must give when Listen is set;
	// when empty a random one is made (see Server.Token).
	Token string
}

// Check validates the options.
func (o *ServerOptions) Check() error {
	if o.StoreDir == "" {
		return errors.New("embedded NATS: no store folder given")
	}
	if o.Listen != "" {
		host, port, err := net.SplitHostPort(o.Listen)
		if err != nil {
			return fmt.Errorf("--nats-listen %q: want host:port (e.g. 127.0.0.1:4222 or 0.0.0.0:4222): %v", o.Listen, err)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("--nats-listen %q: port %q must be a number from 0 to 65535", o.Listen, port)
		}
		_ = host
	}
	return nil
}

// Server is a NATS server with JetStream running inside this process.
type Server struct {
	s     *server.Server
	token string
}

// MaxPayload is the largest message the embedded server accepts (a job's
// result travels in one message).
const MaxPayload = 8 << 20

// StartServer starts an embedded server with its store in o.StoreDir.
func StartServer(o ServerOptions) (*Server, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.StoreDir, 0o755); err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	sopts := &server.Options{
		ServerName: "dafscript", JetStream: true, StoreDir: o.StoreDir,
		DontListen: o.Listen == "", NoSigs: true, NoLog: true, MaxPayload: MaxPayload,
		// Only the in-process connections exist without Listen; with it,
		// outside workers must give the token.
		Port: -1,
	}
	token := o.Token
	if o.Listen != "" {
		host, port, _ := net.SplitHostPort(o.Listen)
		sopts.Host = host
		sopts.Port, _ = strconv.Atoi(port)
		if sopts.Port == 0 {
			sopts.Port = -1 // a free port
		}
		if token == "" {
			b := make([]byte, 16)
			if _, err := rand.Read(b); err != nil {
				return nil, err
			}
			token = hex.EncodeToString(b)
		}
		sopts.Authorization = token
	}
	s, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		if o.Listen != "" {
			return nil, fmt.Errorf("embedded NATS did not start listening on %s within 10s (is the port in use?)", o.Listen)
		}
		return nil, errors.New("embedded NATS did not start within 10s")
	}
	return &Server{s: s, token: token}, nil
}

// Connect opens an in-process connection (no socket).
func (s *Server) Connect(name string) (*nats.Conn, error) {
	opts := []nats.Option{nats.InProcessServer(s.s), nats.Name(connName(name))}
	if s.token != "" {
		opts = append(opts, nats.Token(s.token))
	}
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	return nc, nil
}

// ClientURL is the URL outside workers connect to ("" when the server
// listens on no port).
func (s *Server) ClientURL() string {
	if s.s.Addr() == nil {
		return ""
	}
	return s.s.ClientURL()
}

// Token is the token outside workers give ("" when not listening).
func (s *Server) Token() string { return s.token }

// Shutdown stops the server; its store stays on disk.
func (s *Server) Shutdown() {
	s.s.Shutdown()
	s.s.WaitForShutdown()
}
