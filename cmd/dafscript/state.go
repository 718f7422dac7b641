package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"runtime"

	"github.com/mattn/go-isatty"
)

// State is everything a command may take from the operating system. main
// fills it from the process; tests fill it by hand and run the whole CLI
// in-process.
type State struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getwd          func() (string, error)
	Getenv         func(string) string
	// IsTerminal: Stderr is a terminal (progress bars, colours).
	IsTerminal bool
	// StdinIsTerminal: the REPL may use line editing.
	StdinIsTerminal bool
	// Ctx is the root context of the run; cancelling it stops the run.
	Ctx context.Context
	// Interrupt delivers Ctrl-C. A script run stops at the first; the
	// REPL cancels the running statement and keeps the session. Nil when
	// no interrupt can arrive.
	Interrupt <-chan os.Signal
	// NumCPU is the default of --jobs.
	NumCPU int
	// UserCacheDir is where the REPL keeps its history.
	UserCacheDir func() (string, error)
	// Version is what `dafscript version` reports.
	Version string
	// Notify, if set, delivers the given signals on the returned channel
	// until stop is called (signal.Notify); serve uses it for SIGTERM.
	// Nil when no signal can arrive.
	Notify func(sigs ...os.Signal) (ch <-chan os.Signal, stop func())
	// Exit, if set, ends the process at once: a second Ctrl-C during a
	// run that is still stopping calls Exit(130).
	Exit func(code int)
}

// OSState returns the State of this process. The returned stop function
// releases the signal handler.
func OSState() (*State, func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	return &State{
		Stdin:           os.Stdin,
		Stdout:          os.Stdout,
		Stderr:          os.Stderr,
		Getwd:           os.Getwd,
		Getenv:          os.Getenv,
		IsTerminal:      isatty.IsTerminal(os.Stderr.Fd()),
		StdinIsTerminal: isatty.IsTerminal(os.Stdin.Fd()) && isatty.IsTerminal(os.Stdout.Fd()),
		Ctx:             context.Background(),
		Interrupt:       sig,
		NumCPU:          runtime.NumCPU(),
		UserCacheDir:    os.UserCacheDir,
		Version:         versionString(),
		Exit:            os.Exit,
		Notify: func(sigs ...os.Signal) (<-chan os.Signal, func()) {
			ch := make(chan os.Signal, 1)
			signal.Notify(ch, sigs...)
			return ch, func() { signal.Stop(ch) }
		},
	}, func() { signal.Stop(sig) }
}

// withDefaults fills what a hand-made State left empty.
func (st *State) withDefaults() *State {
	s := *st
	if s.Stdin == nil {
		s.Stdin = eofReader{}
	}
	if s.Stdout == nil {
		s.Stdout = io.Discard
	}
	if s.Stderr == nil {
		s.Stderr = io.Discard
	}
	if s.Getwd == nil {
		s.Getwd = os.Getwd
	}
	if s.Getenv == nil {
		s.Getenv = func(string) string { return "" }
	}
	if s.Ctx == nil {
		s.Ctx = context.Background()
	}
	if s.NumCPU <= 0 {
		s.NumCPU = 1
	}
	if s.UserCacheDir == nil {
		s.UserCacheDir = os.UserCacheDir
	}
	if s.Version == "" {
		s.Version = versionString()
	}
	return &s
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
