package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dafscript/dafscript/runtime/dist"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// WorkerOptions configure Work (`dafscript worker --nats URL --jobs N`).
type WorkerOptions struct {
	// Jobs is how many jobs run at once; < 1 means 1.
	Jobs  int
	Queue QueueOptions
	// CodeVersion is this program's (jobs.CodeVersion): jobs submitted by
	// another version are refused.
	CodeVersion string
	// Name names the worker in events and errors; "" means host:pid.
	Name string
	// Log, if not nil, gets one line per refused or failed job.
	Log io.Writer
	// StartEventAfter is how long a job runs before the worker tells the
	// submitter it has started it (a redelivered job is told at once). Most
	// jobs finish sooner and their result says it all: two messages fewer
	// per job. 0 means DefaultStartEventAfter; negative, at once.
	StartEventAfter time.Duration
}

// DefaultStartEventAfter is WorkerOptions.StartEventAfter's default.
const DefaultStartEventAfter = time.Second

// Check validates the options.
func (o *WorkerOptions) Check() error {
	if o.Jobs < 0 {
		return fmt.Errorf("--jobs must be >= 1, got %d", o.Jobs)
	}
	if o.CodeVersion == "" {
		return errors.New("worker: no code version given")
	}
	return o.Queue.Check()
}

// Work takes jobs from the queue on nc and runs them until ctx is
// cancelled (it then returns nil, after handing back the jobs it held) or
// the connection closes. While a job runs its worker tells the server
// every AckWait/3 that it is in progress; when it finishes, the result is
// stored before the job is acknowledged, so a worker that dies at any
// point loses nothing: the job goes to another worker after AckWait.
func Work(ctx context.Context, nc *nats.Conn, o WorkerOptions) error {
	if err := o.Check(); err != nil {
		return err
	}
	js, _, err := setupQueue(ctx, nc, o.Queue, false)
	if err != nil {
		return err
	}
	// Each slot pulls one job at a time through a pull subscription of its
	// own, kept for the worker's life (jetstream.Consumer.Next would
	// subscribe and unsubscribe for every job), and never holds a job it
	// has not started: the others stay in the queue for idle workers.
	ljs, err := nc.JetStream()
	if err != nil {
		return err
	}
	name := o.Name
	if name == "" {
		host, _ := os.Hostname()
		name = host + ":" + strconv.Itoa(os.Getpid())
	}
	// The jobs in hand stop when the connection closes: their results
	// could not be delivered.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	closed := nc.StatusChanged(nats.CLOSED)
	go func() {
		select {
		case <-closed:
			cancel()
		case <-wctx.Done():
		}
	}()
	w := &worker{nc: nc, js: js, o: o, name: name}
	var wg sync.WaitGroup
	errs := make([]error, max(1, o.Jobs))
	for k := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slot := name
			if len(errs) > 1 {
				slot += "/" + strconv.Itoa(k)
			}
			sub, err := ljs.PullSubscribe(jobsPrefix+">", WorkConsumer, nats.Bind(JobsStream, WorkConsumer))
			if err != nil {
				errs[k] = fmt.Errorf("worker: NATS: consumer %s: %w", WorkConsumer, err)
				return
			}
			defer sub.Unsubscribe()
			errs[k] = w.loop(wctx, ctx, sub, slot)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return errors.Join(errs...)
}

type worker struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	o    WorkerOptions
	name string
	logM sync.Mutex
}

func (w *worker) logf(format string, args ...any) {
	if w.o.Log == nil {
		return
	}
	w.logM.Lock()
	defer w.logM.Unlock()
	fmt.Fprintf(w.o.Log, format+"\n", args...)
}

func (w *worker) loop(ctx, parent context.Context, sub *nats.Subscription, slot string) error {
	for {
		if ctx.Err() != nil {
			if parent.Err() != nil {
				return nil
			}
			return errors.New("worker: connection to NATS closed")
		}
		fctx, cancel := context.WithTimeout(ctx, time.Second)
		msgs, err := sub.Fetch(1, nats.Context(fctx))
		cancel()
		if err == nil && len(msgs) == 0 {
			err = nats.ErrTimeout
		}
		if err != nil {
			if errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
				continue
			}
			if errors.Is(err, nats.ErrConnectionClosed) || w.nc.IsClosed() {
				return errors.New("worker: connection to NATS closed")
			}
			// A server restarting, a reconnect: try again shortly.
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		w.handle(ctx, msgs[0], slot)
	}
}

func (w *worker) event(run string, ev Event) {
	b, _ := json.Marshal(ev)
	w.nc.Publish(eventsPrefix+run, b)
}

func (w *worker) handle(ctx context.Context, msg *nats.Msg, slot string) {
	h := msg.Header
	run, kind := h.Get(hdrRun), h.Get(hdrKind)
	job, err := strconv.Atoi(h.Get(hdrJob))
	if run == "" || err != nil {
		w.logf("dropping a malformed job message (run %q, job %q)", run, h.Get(hdrJob))
		msg.Term()
		return
	}
	delivery := 1
	if md, err := msg.Metadata(); err == nil {
		delivery = int(md.NumDelivered)
	}
	if v := h.Get(hdrVersion); v != w.o.CodeVersion {
		w.logf("refusing job %d of run %s: it was submitted by another build of dafscript (code version %s; this worker is %s); run the same binary everywhere",
			job, run, short(v), short(w.o.CodeVersion))
		w.event(run, Event{Type: "refuse", Job: job, Delivery: delivery, Worker: slot, Version: w.o.CodeVersion})
		msg.NakWithDelay(time.Second)
		return
	}
	start := Event{Type: "start", Job: job, Delivery: delivery, Worker: slot}
	after := w.o.StartEventAfter
	if after == 0 {
		after = DefaultStartEventAfter
	}
	if after < 0 || delivery > 1 {
		w.event(run, start)
	} else {
		told := time.AfterFunc(after, func() { w.event(run, start) })
		defer told.Stop()
	}

	jctx, stop := context.WithCancel(ctx)
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		t := time.NewTicker(w.o.Queue.ackWait() / 3)
		defer t.Stop()
		for {
			select {
			case <-jctx.Done():
				return
			case <-t.C:
				msg.InProgress()
			}
		}
	}()
	out, jerr := dist.Call(jctx, kind, msg.Data)
	stop()
	<-beat
	if ctx.Err() != nil {
		// Stopping (or the connection is gone): hand the job back.
		msg.Nak()
		return
	}
	res := nats.NewMsg(resultsPrefix + run)
	res.Header.Set(hdrMsgID, run+"."+strconv.Itoa(job))
	res.Header.Set(hdrJob, strconv.Itoa(job))
	res.Header.Set(hdrWorker, slot)
	if jerr != nil {
		w.logf("job %d of run %s failed: %v", job, run, firstLine(jerr.Error()))
		res.Header.Set(hdrError, "1")
		res.Data = []byte(jerr.Error())
	} else {
		res.Data = out
	}
	if max := w.nc.MaxPayload(); int64(len(res.Data))+4096 > max {
		res.Header.Set(hdrError, "1")
		res.Data = []byte(fmt.Sprintf("the result of job %d is %d bytes, more than the NATS server's max_payload (%d): raise max_payload in the server's configuration", job, len(out), max))
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := w.js.PublishMsg(pctx, res); err != nil {
		w.logf("job %d of run %s: storing its result failed (%v); handing it back", job, run, err)
		msg.Nak()
		return
	}
	// The result is stored: acknowledge without waiting for the server's
	// confirmation. Should the ack be lost, the job is delivered again
	// after the ack wait, stores its result again, and the submitter
	// keeps the first.
	if err := msg.Ack(); err != nil {
		w.logf("job %d of run %s: ack failed: %v", job, run, err)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
