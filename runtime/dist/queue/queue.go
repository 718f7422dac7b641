// Package queue runs runtime/dist jobs through NATS JetStream: an
// executor (NATS) that publishes a run's jobs to a work-queue stream and
// collects their results, the worker loop (Work) that serves them, and
// the server it needs, embedded in this process (StartServer, Embedded)
// or remote (Connect, Remote).
package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The work queue on the NATS server: jobs in a work-queue stream read by
// one shared durable consumer, results in a second stream, events
// (a worker took a job, refused it) on plain subjects.
const (
	JobsStream    = "DAF_JOBS"
	ResultsStream = "DAF_RESULTS"
	WorkConsumer  = "daf-workers"
	jobsPrefix    = "daf.jobs."
	resultsPrefix = "daf.results."
	eventsPrefix  = "daf.events."
	maxDeliverAdv = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + JobsStream + "." + WorkConsumer
)

// Message headers.
const (
	hdrMsgID   = "Nats-Msg-Id"
	hdrRun     = "Daf-Run"
	hdrJob     = "Daf-Job"
	hdrKind    = "Daf-Kind"
	hdrVersion = "Daf-Code-Version"
	hdrKey     = "Daf-Key"
	hdrError   = "Daf-Error"
	hdrWorker  = "Daf-Worker"
)

// Defaults of QueueOptions.
const (
	DefaultAckWait    = 30 * time.Second
	DefaultMaxDeliver = 3
)

// QueueOptions are the queue's delivery rules; submitters and workers of
// one server must use the same (the last to connect sets them).
type QueueOptions struct {
	// AckWait: a job neither finished nor heartbeated for this long is
	// given to another worker. Workers heartbeat every AckWait/3.
	// 0 means DefaultAckWait.
	AckWait time.Duration
	// MaxDeliver: a job delivered this many times without a result (its
	// workers died or lost their connection each time) is reported failed.
	// 0 means DefaultMaxDeliver.
	MaxDeliver int
}

// Check validates the options.
func (q *QueueOptions) Check() error {
	if q.AckWait < 0 || (q.AckWait > 0 && q.AckWait < 100*time.Millisecond) {
		return fmt.Errorf("ack wait must be 0 (default %v) or at least 100ms, got %v", DefaultAckWait, q.AckWait)
	}
	if q.MaxDeliver < 0 {
		return fmt.Errorf("max deliveries must be >= 1 (0 for the default %d), got %d", DefaultMaxDeliver, q.MaxDeliver)
	}
	return nil
}

func (q QueueOptions) ackWait() time.Duration {
	if q.AckWait == 0 {
		return DefaultAckWait
	}
	return q.AckWait
}

func (q QueueOptions) maxDeliver() int {
	if q.MaxDeliver == 0 {
		return DefaultMaxDeliver
	}
	return q.MaxDeliver
}

// setupQueue makes (or updates) the jobs stream and the workers'
// consumer. Workers need no more; submitters add the results stream
// (setupResults). With memory set (a server in this process, which takes
// its jobs with it when it stops, so a file store would keep nothing of
// use) the jobs stream is in the server's memory; otherwise an existing
// stream keeps its storage, so that a worker joining an embedded server
// does not ask to change it, and a new one is in the file store.
func setupQueue(ctx context.Context, nc *nats.Conn, q QueueOptions, memory bool) (jetstream.JetStream, jetstream.Consumer, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, nil, err
	}
	if _, err := js.AccountInfo(ctx); err != nil {
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return nil, nil, fmt.Errorf("NATS server %s has no JetStream: start it with -js (nats-server -js)", nc.ConnectedUrlRedacted())
		}
		return nil, nil, fmt.Errorf("NATS server %s: JetStream: %w", nc.ConnectedUrlRedacted(), err)
	}
	cfg := jetstream.StreamConfig{
		Name: JobsStream, Subjects: []string{jobsPrefix + ">"}, Retention: jetstream.WorkQueuePolicy,
		Storage: jetstream.FileStorage, Duplicates: 10 * time.Minute, MaxAge: 24 * time.Hour,
	}
	if memory {
		cfg.Storage = jetstream.MemoryStorage
	}
	if st, err := js.Stream(ctx, JobsStream); err == nil {
		if have := st.CachedInfo().Config.Storage; !memory {
			cfg.Storage = have
		} else if have != cfg.Storage {
			if err := js.DeleteStream(ctx, JobsStream); err != nil {
				return nil, nil, fmt.Errorf("NATS: stream %s: %w", JobsStream, err)
			}
		}
	}
	if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
		return nil, nil, fmt.Errorf("NATS: stream %s: %w", JobsStream, err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, JobsStream, jetstream.ConsumerConfig{
		Durable: WorkConsumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: q.ackWait(),
		MaxDeliver: q.maxDeliver(), FilterSubject: jobsPrefix + ">", MaxAckPending: -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("NATS: consumer %s: %w", WorkConsumer, err)
	}
	return js, cons, nil
}

// setupResults makes the results stream: in the server's memory when
// memory is set (a server in this process, which takes the run with it
// when it stops: an existing stream of another storage is replaced, it
// can hold nothing of use), else in its file store, so that results
// stored before a server restart are still there after it.
func setupResults(ctx context.Context, js jetstream.JetStream, memory bool) (jetstream.Stream, error) {
	cfg := jetstream.StreamConfig{
		Name: ResultsStream, Subjects: []string{resultsPrefix + ">"}, Retention: jetstream.LimitsPolicy,
		Storage: jetstream.FileStorage, Duplicates: 10 * time.Minute, MaxAge: 24 * time.Hour,
	}
	if memory {
		cfg.Storage = jetstream.MemoryStorage
		if st, err := js.Stream(ctx, ResultsStream); err == nil && st.CachedInfo().Config.Storage != cfg.Storage {
			if err := js.DeleteStream(ctx, ResultsStream); err != nil {
				return nil, fmt.Errorf("NATS: stream %s: %w", ResultsStream, err)
			}
		}
	}
	st, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("NATS: stream %s: %w", ResultsStream, err)
	}
	return st, nil
}

// Event is what workers say about the jobs of a run, as they say it.
type Event struct {
	// Type is "start" (a worker has run the job for its
	// StartEventAfter, or took it again after another worker) or "refuse"
	// (a worker of another code version would not run it).
	Type     string `json:"type"`
	Job      int    `json:"job"`
	Delivery int    `json:"delivery"`
	Worker   string `json:"worker"`
	// Version is the worker's code version (on "refuse").
	Version string `json:"version,omitempty"`
}
