package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// EmbeddedURL is the value of Options.NATS that starts a server in this
// process (`--nats embedded`).
const EmbeddedURL = "embedded"

// Options select where a run's jobs go: the flags --nats, --nats-listen,
// --nats-token, --nats-nkey, --nats-creds, --nats-ca, --nats-cert,
// --nats-key and --nats-ack-wait of run, test, eval and compare.
type Options struct {
	// NATS is "" (no queue: the local pool), EmbeddedURL, or the URL of a
	// server (nats://host:4222, several comma-separated).
	NATS string
	// Listen (embedded only) is host:port where outside workers connect;
	// "" listens on no port.
	Listen string
	// Conn holds the credentials and TLS files (its URL is NATS); with
	// an embedded server only Conn.Token is used: the token outside
	// workers must give (a random one when empty).
	Conn ConnOptions
	// Queue are the delivery rules (ack wait, deliveries).
	Queue QueueOptions
	// StartTimeout: see NATSOptions.
	StartTimeout time.Duration
}

// Enabled tells whether o names a queue at all.
func (o *Options) Enabled() bool { return o.NATS != "" }

// Check validates the options, naming the flag at fault.
func (o *Options) Check() error {
	if err := o.Queue.Check(); err != nil {
		return fmt.Errorf("--nats-ack-wait: %w", err)
	}
	if o.StartTimeout < 0 {
		return fmt.Errorf("start timeout must be >= 0, got %v", o.StartTimeout)
	}
	remoteOnly := []struct{ flag, v string }{{"--nats-nkey", o.Conn.NKeyFile}, {"--nats-creds", o.Conn.CredsFile},
		{"--nats-ca", o.Conn.TLSCAFile}, {"--nats-cert", o.Conn.TLSCertFile}, {"--nats-key", o.Conn.TLSKeyFile}}
	switch o.NATS {
	case "":
		if o.Listen != "" {
			return errors.New("--nats-listen needs --nats embedded (the server this process starts)")
		}
		for _, f := range append(remoteOnly, struct{ flag, v string }{"--nats-token", o.Conn.Token}) {
			if f.v != "" {
				return fmt.Errorf("%s needs --nats (a server URL, or embedded)", f.flag)
			}
		}
		return nil
	case EmbeddedURL:
		for _, f := range remoteOnly {
			if f.v != "" {
				return fmt.Errorf("%s is for a remote server (--nats nats://host:4222), not --nats embedded", f.flag)
			}
		}
		s := ServerOptions{StoreDir: "-", Listen: o.Listen, Token: o.Conn.Token}
		return s.Check()
	}
	if o.Listen != "" {
		return fmt.Errorf("--nats-listen is for --nats embedded; with --nats %s the server is elsewhere", o.NATS)
	}
	c := o.Conn
	c.URL = o.NATS
	return c.Check()
}

// Open makes the executor o selects (nil, nil when o names no queue):
// an embedded server with its store in storeDir and workers in-process
// goroutines working here, or a connection to a remote server.
// codeVersion is this program's (jobs.CodeVersion).
func Open(ctx context.Context, o Options, storeDir string, workers int, codeVersion string) (*NATS, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	n := NATSOptions{Queue: o.Queue, CodeVersion: codeVersion, StartTimeout: o.StartTimeout}
	switch o.NATS {
	case "":
		return nil, nil
	case EmbeddedURL:
		return Embedded(ctx, EmbeddedOptions{
			Server:  ServerOptions{StoreDir: storeDir, Listen: o.Listen, Token: o.Conn.Token},
			Workers: workers, NATS: n,
		})
	}
	c := o.Conn
	c.URL = strings.TrimSpace(o.NATS)
	return Remote(ctx, c, n)
}
