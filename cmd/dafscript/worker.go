package main

import (
	"fmt"

	"github.com/dafscript/dafscript/runtime/dist/queue"
	"github.com/dafscript/dafscript/runtime/jobs"
)

func workerCmd() *Command {
	c := &Command{
		Name:    "worker",
		Usage:   "dafscript worker --nats URL [--jobs N] [--nats-token T | --nats-nkey FILE | --nats-creds FILE] [--nats-ca FILE] [--nats-cert FILE --nats-key FILE] [--name NAME] [--start-event-after D]",
		Summary: "play episodes for runs on other machines (NATS JetStream)",
		Help: `Worker connects to the NATS server at URL and plays the episode jobs that
runs started with --nats URL publish there, --jobs at a time, until it is
interrupted (Ctrl-C). Each job is acknowledged only after its result is
stored, so a worker that dies loses nothing: after the ack wait (30s, or
--nats-ack-wait) the job goes to another worker. Jobs submitted by another
build of dafscript are refused: run the same binary everywhere. Policy
weights are read from this machine's disk, at the paths the run names,
and checked against the submitter's hash. docs/distributed.md explains a
cluster, its security and its faults.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		var nf natsFlags
		url := fs.String("nats", "", "`URL` of the NATS server (nats://host:4222; several comma-separated)")
		nf.define(fs)
		n := fs.Int("jobs", st.NumCPU, "play `N` jobs at once")
		name := fs.String("name", "", "the worker's `name` in the runs' messages (default host:pid)")
		announce := fs.Duration("start-event-after", queue.DefaultStartEventAfter, "tell the submitter a job has started once it has run for `D` (0: at once; shorter jobs are told by their result)")
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) > 0 {
			return usageError(st, c, "unexpected argument %q", pos[0])
		}
		conn := nf.conn
		conn.URL = *url
		if err := conn.Check(); err != nil {
			return usageError(st, c, "%v", err)
		}
		version, err := jobs.CodeVersion()
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		wo := queue.WorkerOptions{Jobs: *n, Queue: nf.ackWait, CodeVersion: version, Name: *name, Log: st.Stderr}
		if *n < 1 {
			return usageError(st, c, "--jobs must be at least 1, got %d", *n)
		}
		switch {
		case *announce < 0:
			return usageError(st, c, "--start-event-after must be >= 0, got %v", *announce)
		case *announce == 0:
			wo.StartEventAfter = -1 // at once
		default:
			wo.StartEventAfter = *announce
		}
		if err := wo.Check(); err != nil {
			return usageError(st, c, "%v", err)
		}
		ctx, cancel := scriptContext(st)
		defer cancel()
		nc, err := queue.Connect(conn)
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		defer nc.Close()
		fmt.Fprintf(st.Stderr, "dafscript worker: connected to %s, playing %d jobs at a time (code version %.19s…)\n", nc.ConnectedUrlRedacted(), *n, version)
		if err := queue.Work(ctx, nc, wo); err != nil {
			return runFailed(st, c.Name, err)
		}
		if ctx.Err() != nil {
			fmt.Fprintln(st.Stderr, "dafscript worker: interrupted; the jobs in hand were handed back")
			return ExitCancelled
		}
		return ExitOK
	}
	return c
}
