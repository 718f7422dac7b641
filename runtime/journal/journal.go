// Package journal is the one append-only, crash-safe record log used to
// resume long work (sweeps, pipelines). A journal is a file of JSON lines,
// one record a line: {"type":"...","data":{...}}. Append writes a whole
// line with one write and flushes it to disk (fsync) before returning, so
// a record that Append acknowledged survives a crash or kill -9 at any
// moment. A crash in the middle of a write can leave the last line torn
// (cut short, or not JSON); reading ignores such a last line, and Open
// truncates it away before appending, so the journal stays well formed.
// A bad line anywhere but at the end is corruption and an error.
package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// MaxRecordBytes bounds one record's line.
const MaxRecordBytes = 16 << 20

// Record is one line of a journal.
type Record struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
	Line int             `json:"-"` // 1-based line number in the file
}

// Decode unmarshals the record's data into v.
func (r Record) Decode(v any) error {
	if len(r.Data) == 0 {
		return fmt.Errorf("journal line %d (%s) has no data", r.Line, r.Type)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		return fmt.Errorf("journal line %d (%s): %w", r.Line, r.Type, err)
	}
	return nil
}

// Journal is an open journal, appended to by one process. Its methods are
// safe for concurrent use. Appends that arrive while a flush is under way
// are written together and made durable by the next single fsync (group
// commit), so concurrent writers share the cost of the disk flush.
type Journal struct {
	mu       sync.Mutex
	cond     *sync.Cond
	f        *os.File
	path     string
	pending  []byte // lines queued for the next flush
	queued   uint64 // lines queued so far
	durable  uint64 // lines on disk so far
	flushing bool
	err      error // a failed write or flush: the journal takes no more
}

// Read returns the records of the journal at path, ignoring a torn last
// line; it does not change the file. A missing file has no records.
func Read(path string) ([]Record, error) {
	recs, _, err := read(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return recs, err
}

// read returns the records and the length of the good prefix of the file.
func read(path string) ([]Record, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var recs []Record
	var good int64
	for line := 1; ; line++ {
		b, err := readLine(r)
		if err == io.EOF && len(b) == 0 {
			return recs, good, nil
		}
		if err != nil && err != io.EOF {
			return nil, 0, fmt.Errorf("journal %s line %d: %w", path, line, err)
		}
		complete := err == nil // ended with a newline
		var rec Record
		ok := json.Unmarshal(bytes.TrimSuffix(b, []byte("\n")), &rec) == nil && rec.Type != ""
		if !ok || !complete {
			// Torn only if nothing follows it.
			if _, perr := r.Peek(1); perr == io.EOF {
				return recs, good, nil
			}
			return nil, 0, fmt.Errorf("journal %s line %d is corrupt (not a record, and not the last line): %.80q", path, line, b)
		}
		rec.Line = line
		recs = append(recs, rec)
		good += int64(len(b))
	}
}

// readLine reads up to and including '\n', refusing lines over the limit.
func readLine(r *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		chunk, err := r.ReadSlice('\n')
		out = append(out, chunk...)
		if len(out) > MaxRecordBytes {
			return nil, fmt.Errorf("record longer than %d bytes", MaxRecordBytes)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return out, err
	}
}

// Open opens the journal at path for appending, creating it (and its
// directory) if needed, and returns the records already in it. A torn
// last line is cut off first.
func Open(path string) (*Journal, []Record, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, err
	}
	recs, good, err := read(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	created := errors.Is(err, os.ErrNotExist)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if st.Size() != good {
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("journal %s: cut torn last line: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	if created {
		if err := syncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	j := &Journal{f: f, path: path}
	j.cond = sync.NewCond(&j.mu)
	return j, recs, nil
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// Append writes one record and flushes it to disk. data is marshalled to
// JSON (nil for none).
func (j *Journal) Append(typ string, data any) error {
	if typ == "" {
		return errors.New("journal: record type is empty")
	}
	rec := Record{Type: typ}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return fmt.Errorf("journal %s: %s record: %w", j.path, typ, err)
		}
		rec.Data = b
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	if len(line) > MaxRecordBytes {
		return fmt.Errorf("journal %s: %s record is %d bytes, over the limit of %d", j.path, typ, len(line), MaxRecordBytes)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("journal %s is closed", j.path)
	}
	if j.err != nil {
		return j.err
	}
	j.pending = append(j.pending, line...)
	j.queued++
	mine := j.queued
	for j.durable < mine && j.err == nil {
		if j.flushing {
			j.cond.Wait()
			continue
		}
		// Lead a flush of everything queued so far.
		j.flushing = true
		batch, upto, f := j.pending, j.queued, j.f
		j.pending = nil
		j.mu.Unlock()
		_, err := f.Write(batch)
		if err == nil {
			err = f.Sync()
		}
		j.mu.Lock()
		j.flushing = false
		if err != nil {
			j.err = fmt.Errorf("journal %s: %w", j.path, err)
		} else {
			j.durable = upto
		}
		j.cond.Broadcast()
	}
	return j.err
}

// Close closes the file, after any flush under way.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.flushing {
		j.cond.Wait()
	}
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// FileName is the name of a journal in its folder: a session's, or a
// step's of a run's session.
const FileName = "journal.jsonl"

// Header is the first record of a journal: its Type is the kind of work
// ("sweep", "pipeline") and its data names the work ({"name": ...}).
type Header struct {
	Name string `json:"name"`
}

// Find returns the journal of the work of kind called name in dir: dir's
// own journal, else one of its direct subfolders' (the steps of a run's
// session). dir may be a session folder (runs/<id>, pipelines/<id>,
// sweeps/<id>) or a step folder. It returns "" when there is none; two
// journals of that kind and name in the subfolders are an error naming
// them. A journal is matched on its header record alone.
func Find(dir, kind, name string) (string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return "", fmt.Errorf("%s is not a folder", dir)
	}
	if p := filepath.Join(dir, FileName); matches(p, kind, name) {
		return p, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var found []string
	for _, e := range entries { // sorted by name: steps in the order they ran
		if e.IsDir() {
			if p := filepath.Join(dir, e.Name(), FileName); matches(p, kind, name) {
				found = append(found, p)
			}
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	steps := make([]string, len(found))
	for i, p := range found {
		steps[i] = filepath.Base(filepath.Dir(p))
	}
	return "", fmt.Errorf("%s holds %d journals of %s %q (in %s); give the %ss different names, or name the folder of one", dir, len(found), kind, name, strings.Join(steps, ", "), kind)
}

// matches says whether the journal at path starts with the header of
// kind and name. A missing or unreadable journal does not match.
func matches(path, kind, name string) bool {
	if _, err := os.Stat(path); err != nil {
		return false
	}
	recs, err := Read(path)
	if err != nil || len(recs) == 0 || recs[0].Type != kind {
		return false
	}
	var h Header
	return recs[0].Decode(&h) == nil && h.Name == name
}
