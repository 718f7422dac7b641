package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/dafscript/dafscript/runtime/cache"
	"github.com/dafscript/dafscript/runtime/dist"
	"github.com/dafscript/dafscript/runtime/dist/queue"
	"github.com/dafscript/dafscript/runtime/jobs"
	"github.com/dafscript/dafscript/runtime/logging"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
)

// natsFlags are the flags that reach a NATS server: the worker's, and
// those of every command that runs episodes (distFlags).
type natsFlags struct {
	conn    queue.ConnOptions
	ackWait queue.QueueOptions
}

func (f *natsFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.conn.Token, "nats-token", "", "authenticate to the NATS server with `TOKEN` (with --nats embedded: the token outside workers must give)")
	fs.StringVar(&f.conn.NKeyFile, "nats-nkey", "", "authenticate with the nkey seed in `FILE`")
	fs.StringVar(&f.conn.CredsFile, "nats-creds", "", "authenticate with the NATS credentials (JWT) `FILE`")
	fs.StringVar(&f.conn.TLSCAFile, "nats-ca", "", "verify the NATS server's certificate against the CA in `FILE` (PEM)")
	fs.StringVar(&f.conn.TLSCertFile, "nats-cert", "", "present the client certificate in `FILE` (PEM; with --nats-key)")
	fs.StringVar(&f.conn.TLSKeyFile, "nats-key", "", "the client certificate's key `FILE` (PEM)")
	fs.DurationVar(&f.ackWait.AckWait, "nats-ack-wait", 0, "a job neither finished nor heartbeated for this `duration` goes to another worker (0: 30s); give every worker and submitter the same")
}

// distFlags are the flags that choose where episodes and sweep trials
// run and whether finished ones are reused: run, test, repl, eval,
// compare and sweep take them.
type distFlags struct {
	natsFlags
	nats    string
	listen  string
	noCache bool
}

func (f *distFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.nats, "nats", "", "run episodes and sweep trials through NATS JetStream: `URL` of a server (nats://host:4222) whose `dafscript worker`s run them, or \"embedded\" for a server in this process")
	fs.StringVar(&f.listen, "nats-listen", "", "with --nats embedded: let outside workers connect at `HOST:PORT` (default: no port at all)")
	f.natsFlags.define(fs)
	fs.BoolVar(&f.noCache, "no-cache", false, "neither reuse nor keep finished episodes and sweep trials (the result cache, see dafscript cache)")
}

// options are the queue options the flags give; their Check is the only
// validation.
func (f *distFlags) options() queue.Options {
	return queue.Options{NATS: f.nats, Listen: f.listen, Conn: f.conn, Queue: f.ackWait}
}

// cacheOptions are the result cache's options: the folder is
// $DAF_CACHE_DIR, else dafscript/ in the user's cache folder.
func (f *distFlags) cacheOptions(st *State) (cache.Options, error) {
	o := cache.Options{Disabled: f.noCache}
	if o.Disabled {
		return o, nil
	}
	if d := st.Getenv(cache.EnvDir); d != "" {
		o.Dir = d
		return o, nil
	}
	base, err := st.UserCacheDir()
	if err != nil {
		return o, fmt.Errorf("no cache folder: %w (set %s or pass --no-cache)", err, cache.EnvDir)
	}
	o.Dir = filepath.Join(base, "dafscript")
	return o, nil
}

// runDist is the executor and cache of one run, opened on first use (a
// run that plays no episode connects to nothing) and closed at its end.
type runDist struct {
	st   *State
	ctx  context.Context
	f    *distFlags
	jobs int
	// session, when set, is the run's session: an embedded server keeps
	// its store there rather than in the first operation's folder.
	session func() (*output.Session, error)

	exOnce sync.Once
	ex     *queue.NATS
	exErr  error

	cOnce sync.Once
	c     *cache.Cache
	cErr  error
	// log receives the cache's warnings about corrupt entries (a
	// script's run log; nil: a text handler on st.Stderr).
	log *slog.Logger
}

func newRunDist(st *State, ctx context.Context, f *distFlags, jobs int) *runDist {
	return &runDist{st: st, ctx: ctx, f: f, jobs: jobs}
}

// wire gives r the run's executor and cache.
func (d *runDist) wire(r *op.Run) {
	r.Executor = d.executor
	r.Cache = d.cache
}

func (d *runDist) executor(s *output.Session) (dist.Executor, error) {
	o := d.f.options()
	if !o.Enabled() {
		return nil, nil
	}
	d.exOnce.Do(func() {
		dir := s.Dir()
		if d.session != nil {
			if rs, err := d.session(); err == nil {
				dir = rs.Dir()
			}
		}
		version, err := jobs.CodeVersion()
		if err != nil {
			d.exErr = err
			return
		}
		d.ex, d.exErr = queue.Open(d.ctx, o, filepath.Join(dir, "nats"), d.jobs, version)
		if d.exErr == nil {
			if srv := d.ex.Server(); srv != nil && srv.ClientURL() != "" {
				fmt.Fprintf(d.st.Stderr, "dafscript: NATS listening at %s; start workers with:\n  dafscript worker --nats %s --nats-token %s\n",
					srv.ClientURL(), srv.ClientURL(), srv.Token())
			}
		}
	})
	if d.exErr != nil {
		return nil, d.exErr
	}
	return d.ex, nil
}

func (d *runDist) cache() (*cache.Cache, error) {
	d.cOnce.Do(func() {
		o, err := d.f.cacheOptions(d.st)
		if err != nil {
			d.cErr = err
			return
		}
		o.Logger = d.log
		if o.Logger == nil {
			o.Logger = slog.New(logging.NewTextHandler(d.st.Stderr, slog.LevelWarn))
		}
		d.c, d.cErr = cache.Open(o)
	})
	return d.c, d.cErr
}

// close releases the executor, if one was opened.
func (d *runDist) close() {
	if d == nil {
		return
	}
	d.exOnce.Do(func() {}) // none can open after this
	if d.ex != nil {
		d.ex.Close()
	}
}
