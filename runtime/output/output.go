// Package output organises everything a run writes under one root
// (./daf_output by default): one folder per operation, one folder per
// session inside it, and a manifest.json in every session folder that
// records what produced the files and their hashes. Every file is written
// atomically, so an interrupted run never leaves a torn file behind.
package output

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Operations are the folders directly under the output root.
var Operations = []string{
	"sweeps", "comparisons", "training", "deployment", "evaluations",
	"visualizations", "logs", "reports", "artifacts", "runs",
}

// ManifestName is the file name of a session's manifest.
const ManifestName = "manifest.json"

// IDLayout is the time layout of a session id (UTC); a suffix _2, _3 ...
// follows when several sessions of one operation start in the same second.
const IDLayout = "20060102_150405"

// Status is the state of a session.
type Status string

const (
	StatusRunning   Status = "running"
	StatusDone      Status = "done"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
)

// RunInfo describes the run that opens a session; it goes into the manifest.
type RunInfo struct {
	Version      string
	ScriptPath   string
	ScriptSHA256 string
	Vars         map[string]string // --var values
	Seed         uint64
	Args         map[string]any // the call's arguments, JSON-encodable
}

// FileEntry is one file of a session as the manifest records it.
type FileEntry struct {
	Name   string `json:"name"` // relative to the session folder, with '/'
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Manifest is the content of manifest.json.
type Manifest struct {
	DafscriptVersion string            `json:"dafscript_version"`
	Operation        string            `json:"operation"`
	Session          string            `json:"session"`
	ScriptPath       string            `json:"script_path"`
	ScriptSHA256     string            `json:"script_sha256"`
	Vars             map[string]string `json:"vars"`
	Seed             uint64            `json:"seed"`
	Args             map[string]any    `json:"args"`
	StartTime        time.Time         `json:"start_time"`
	EndTime          *time.Time        `json:"end_time,omitempty"`
	Status           Status            `json:"status"`
	Error            string            `json:"error,omitempty"`
	Host             string            `json:"host,omitempty"`
	PID              int               `json:"pid,omitempty"`
	Files            []FileEntry       `json:"files"`
	// Steps are the operations of a script run's session, in the order
	// they ran; each wrote its files under its Dir.
	Steps []Step `json:"steps,omitempty"`
}

// Step is one operation of a run's session.
type Step struct {
	Dir       string         `json:"dir"`       // "01_evaluation", relative to the session
	Operation string         `json:"operation"` // "evaluation"
	Seed      uint64         `json:"seed"`
	Args      map[string]any `json:"args"`
	Status    Status         `json:"status"`
	Error     string         `json:"error,omitempty"`
}

// Manager creates sessions under a root folder.
type Manager struct {
	root string
	// Clock returns the current time; tests replace it.
	Clock func() time.Time
}

// NewManager returns a manager for root (created on first use).
func NewManager(root string) *Manager {
	return &Manager{root: root, Clock: time.Now}
}

// Root returns the output root.
func (m *Manager) Root() string { return m.root }

func validOperation(op string) error {
	if slices.Contains(Operations, op) {
		return nil
	}
	return fmt.Errorf("unknown output operation %q (want one of %s)", op, strings.Join(Operations, ", "))
}

// reserve creates a new, unused entry named prefix+ID+suffix in dir, where
// ID is the session id for now, suffixed _2, _3 ... on collision. create
// must fail with fs.ErrExist when the entry exists, so that two processes
// never get the same id.
func reserve(now time.Time, create func(id string) error) (string, error) {
	base := now.UTC().Format(IDLayout)
	for n := 1; n < 10000; n++ {
		id := base
		if n > 1 {
			id = base + "_" + strconv.Itoa(n)
		}
		err := create(id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("too many sessions started at %s", base)
}

// NewSession creates daf_output/<op>/<id>/ with a manifest whose status is
// "running".
func (m *Manager) NewSession(op string, info RunInfo) (*Session, error) {
	if err := validOperation(op); err != nil {
		return nil, err
	}
	opDir := filepath.Join(m.root, op)
	if err := os.MkdirAll(opDir, 0o755); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	// What killed runs of this operation left: best effort, a failure to
	// clean never stops a new run.
	_, _ = m.repairOp(op, false)
	now := m.clock()
	id, err := reserve(now, func(id string) error { return os.Mkdir(filepath.Join(opDir, id), 0o755) })
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	host, _ := os.Hostname()
	s := &Session{
		mgr: m,
		dir: filepath.Join(opDir, id),
		man: Manifest{
			DafscriptVersion: info.Version,
			Operation:        op,
			Session:          id,
			ScriptPath:       info.ScriptPath,
			ScriptSHA256:     info.ScriptSHA256,
			Vars:             maps(info.Vars),
			Seed:             info.Seed,
			Args:             info.Args,
			StartTime:        now.UTC().Truncate(time.Millisecond),
			Status:           StatusRunning,
			Host:             host,
			PID:              os.Getpid(),
			Files:            []FileEntry{},
		},
		tracked: map[string]bool{},
	}
	if s.man.Args == nil {
		s.man.Args = map[string]any{}
	}
	if err := s.writeManifest(); err != nil {
		os.RemoveAll(s.dir)
		return nil, err
	}
	return s, nil
}

// NewLogPath reserves daf_output/logs/daf_<id>.log for a run's JSON log
// and returns its path and id. The file is created empty.
func (m *Manager) NewLogPath() (path, id string, err error) {
	dir := filepath.Join(m.root, "logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("output: %w", err)
	}
	id, err = reserve(m.clock(), func(id string) error {
		f, err := os.OpenFile(filepath.Join(dir, "daf_"+id+".log"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		return f.Close()
	})
	if err != nil {
		return "", "", fmt.Errorf("output: %w", err)
	}
	return filepath.Join(dir, "daf_"+id+".log"), id, nil
}

func (m *Manager) clock() time.Time {
	if m.Clock == nil {
		return time.Now()
	}
	return m.Clock()
}

func maps(v map[string]string) map[string]string {
	out := make(map[string]string, len(v))
	for k, x := range v {
		out[k] = x
	}
	return out
}

// Session is one operation's folder. Its methods are safe for concurrent use.
type Session struct {
	mgr     *Manager
	dir     string
	mu      sync.Mutex
	man     Manifest
	tracked map[string]bool
	done    bool
	// A step of a run's session writes through its run: run is that
	// session, step the step's index and prefix its folder plus '/'.
	run    *Session
	step   int
	prefix string
}

// ID returns the session id, e.g. 20260131_142501 or 20260131_142501_2.
func (s *Session) ID() string {
	if s.run != nil {
		return s.run.ID()
	}
	return s.man.Session
}

// Operation returns the session's operation folder name.
func (s *Session) Operation() string {
	if s.run != nil {
		return s.run.Operation()
	}
	return s.man.Operation
}

// Dir returns the session folder.
func (s *Session) Dir() string { return s.dir }

// Path returns the path of a file of the session.
func (s *Session) Path(name string) string { return filepath.Join(s.dir, filepath.FromSlash(name)) }

// checkName accepts a relative path inside the session folder.
func checkName(name string) (string, error) {
	clean := filepath.ToSlash(filepath.Clean(filepath.FromSlash(name)))
	if name == "" || !filepath.IsLocal(filepath.FromSlash(name)) {
		return "", fmt.Errorf("output: file name %q must be a relative path inside the session folder", name)
	}
	if clean == ManifestName {
		return "", fmt.Errorf("output: %s is written by the session itself", ManifestName)
	}
	return clean, nil
}

// WriteJSON writes v as indented JSON to the session file name and records
// it in the manifest. It returns the file's path.
func (s *Session) WriteJSON(name string, v any) (string, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", fmt.Errorf("output: %s: %w", name, err)
	}
	return s.WriteFile(name, append(data, '\n'))
}

// WriteFile writes data atomically to the session file name and records
// it with its hash in the manifest. It returns the file's path.
func (s *Session) WriteFile(name string, data []byte) (string, error) {
	if s.run != nil {
		if _, err := checkName(name); err != nil {
			return "", err
		}
		return s.run.WriteFile(s.prefix+name, data)
	}
	clean, err := checkName(name)
	if err != nil {
		return "", err
	}
	path := s.Path(clean)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("output: %w", err)
	}
	if err := WriteFileAtomic(path, data, 0o644); err != nil {
		return "", fmt.Errorf("output: %w", err)
	}
	sum := sha256.Sum256(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record(FileEntry{Name: clean, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))})
	delete(s.tracked, clean)
	if err := s.writeManifest(); err != nil {
		return "", err
	}
	return path, nil
}

// Track records a file written by other means (a JSONL stream, a
// checkpoint); it is hashed when the session finishes.
func (s *Session) Track(name string) error {
	if s.run != nil {
		if _, err := checkName(name); err != nil {
			return err
		}
		return s.run.Track(s.prefix + name)
	}
	clean, err := checkName(name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return fmt.Errorf("output: session %s is finished", s.ID())
	}
	s.tracked[clean] = true
	return nil
}

// Finish hashes the tracked files, sets the status and end time and
// writes the final manifest. A tracked file that does not exist is left
// out of the manifest and reported in the returned error.
func (s *Session) Finish(status Status) error { return s.FinishWithError(status, nil) }

// FinishWithError is Finish that also records why the session failed.
func (s *Session) FinishWithError(status Status, cause error) error {
	switch status {
	case StatusDone, StatusFailed, StatusCancelled:
	default:
		return fmt.Errorf("output: Finish: status %q must be done, failed or cancelled", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return fmt.Errorf("output: session %s is already finished", s.ID())
	}
	s.done = true
	var missing []string
	names := make([]string, 0, len(s.tracked))
	for n := range s.tracked {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		e, err := hashFile(s.Path(n))
		if err != nil {
			missing = append(missing, n)
			continue
		}
		e.Name = n
		s.record(e)
	}
	end := s.mgr.clock().UTC().Truncate(time.Millisecond)
	s.man.EndTime = &end
	s.man.Status = status
	if cause != nil {
		s.man.Error = cause.Error()
	}
	if err := s.writeManifest(); err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("output: session %s: tracked files missing: %s", s.ID(), strings.Join(missing, ", "))
	}
	return nil
}

// BeginStep starts the next operation of a run's session: its files go
// to the folder NN_operation (01_evaluation, 02_comparison, ...) and the
// manifest lists it, running, in Steps. Write through the returned
// session and end the step with EndStep.
func (s *Session) BeginStep(operation string, seed uint64, args map[string]any) (*Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done || s.run != nil {
		return nil, fmt.Errorf("output: session %s takes no step now", s.ID())
	}
	n := len(s.man.Steps)
	dir := fmt.Sprintf("%02d_%s", n+1, strings.ReplaceAll(operation, " ", "_"))
	if args == nil {
		args = map[string]any{}
	}
	s.man.Steps = append(s.man.Steps, Step{Dir: dir, Operation: operation, Seed: seed, Args: args, Status: StatusRunning})
	if err := os.MkdirAll(filepath.Join(s.dir, dir), 0o755); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	if err := s.writeManifest(); err != nil {
		return nil, err
	}
	return &Session{mgr: s.mgr, dir: filepath.Join(s.dir, dir), run: s, step: n, prefix: dir + "/"}, nil
}

// EndStep records how step (from BeginStep) ended.
func (s *Session) EndStep(step *Session, status Status, cause error) error {
	if step.run != s {
		return fmt.Errorf("output: EndStep: not a step of session %s", s.ID())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.man.Steps[step.step]
	st.Status = status
	if cause != nil {
		st.Error = cause.Error()
	}
	return s.writeManifest()
}

// Manifest returns a copy of the manifest as it stands.
func (s *Session) Manifest() Manifest {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.man
	m.Files = slices.Clone(s.man.Files)
	m.Steps = slices.Clone(s.man.Steps)
	return m
}

// record adds or replaces a file entry, keeping them sorted by name.
func (s *Session) record(e FileEntry) {
	i, found := slices.BinarySearchFunc(s.man.Files, e.Name, func(f FileEntry, n string) int { return strings.Compare(f.Name, n) })
	if found {
		s.man.Files[i] = e
		return
	}
	s.man.Files = slices.Insert(s.man.Files, i, e)
}

func (s *Session) writeManifest() error {
	data, err := json.MarshalIndent(&s.man, "", "  ")
	if err != nil {
		return fmt.Errorf("output: manifest of %s: %w", s.dir, err)
	}
	if err := WriteFileAtomic(filepath.Join(s.dir, ManifestName), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	return nil
}

func hashFile(path string) (FileEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileEntry{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return FileEntry{}, err
	}
	return FileEntry{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}
