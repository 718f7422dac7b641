// Package journal is the one append-only, crash-safe record log used to
// resume long work (sweeps, pipelines). A journal is a file of JSON lines,
// one record a line: {"type":"...","data":{...}}. Append and Write write
// a whole line with one write(2), so a record survives a kill -9 from the
// moment either returns; Append also waits for the fsync that makes it
// survive a crash of the machine, Write leaves that to a background
// flusher. A crash in the middle of a write can leave the last line torn
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
// safe for concurrent use. Every record is written to the file at once,
// in the order of the calls, with one write(2): from then on it survives
// the process being killed (the kernel holds it). Durability against a
// crash of the machine comes from fsync: Append waits for it, Write
// leaves it to a flusher that runs at most one fsync behind. Records
// written while an fsync is under way are made durable together by the
// next one (group commit), so concurrent writers share its cost.
type Journal struct {
	mu       sync.Mutex
	cond     *sync.Cond
	f        *os.File
	path     string
	written  uint64 // lines in the file so far
	durable  uint64 // lines flushed to disk so far
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

// Append writes one record and returns once it is on disk (fsync). data
// is marshalled to JSON (nil for none).
func (j *Journal) Append(typ string, data any) error {
	mine, err := j.write(typ, data)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.flushTo(mine)
	return j.err
}

// Write writes one record and returns without waiting for the disk: the
// record survives the process being killed from the moment Write
// returns, and a machine crash once the flusher's fsync, started at once,
// is done (Sync and Close wait for it). Work that can redo what its last
// records describe (a sweep reruns a trial the journal lost) uses Write,
// so that it does not wait about a millisecond per record for the disk.
func (j *Journal) Write(typ string, data any) error {
	if _, err := j.write(typ, data); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.flushing {
		j.flushing = true
		go j.flusher()
	}
	return nil
}

// Sync returns once every record written so far is on disk.
func (j *Journal) Sync() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.flushTo(j.written)
	return j.err
}

// write marshals and writes one record and returns its line count.
func (j *Journal) write(typ string, data any) (uint64, error) {
	if typ == "" {
		return 0, errors.New("journal: record type is empty")
	}
	rec := Record{Type: typ}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return 0, fmt.Errorf("journal %s: %s record: %w", j.path, typ, err)
		}
		rec.Data = b
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return 0, err
	}
	line = append(line, '\n')
	if len(line) > MaxRecordBytes {
		return 0, fmt.Errorf("journal %s: %s record is %d bytes, over the limit of %d", j.path, typ, len(line), MaxRecordBytes)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return 0, fmt.Errorf("journal %s is closed", j.path)
	}
	if j.err != nil {
		return 0, j.err
	}
	// One write call a line, under the lock: lines never interleave, and
	// a kill leaves at most the last one torn.
	if _, err := j.f.Write(line); err != nil {
		j.err = fmt.Errorf("journal %s: %w", j.path, err)
		return 0, j.err
	}
	j.written++
	return j.written, nil
}

// flushTo waits, holding j.mu, until line n is durable, leading fsyncs
// itself when no flush is under way.
func (j *Journal) flushTo(n uint64) {
	for j.durable < n && j.err == nil {
		if j.flushing {
			j.cond.Wait()
			continue
		}
		j.flushing = true
		j.flushOnce()
		j.flushing = false
		j.cond.Broadcast()
	}
}

// flushOnce makes every line written so far durable; called holding
// j.mu with j.flushing set, it releases the lock during the fsync.
func (j *Journal) flushOnce() {
	upto, f := j.written, j.f
	j.mu.Unlock()
	err := f.Sync()
	j.mu.Lock()
	if err != nil {
		j.err = fmt.Errorf("journal %s: %w", j.path, err)
	} else if upto > j.durable {
		j.durable = upto
	}
}

// flusher makes the records that Write wrote durable, with as few fsyncs
// as keep up with them, and stops when it has caught up.
func (j *Journal) flusher() {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.durable < j.written && j.err == nil && j.f != nil {
		j.flushOnce()
		j.cond.Broadcast()
	}
	j.flushing = false
	j.cond.Broadcast()
}

// Close waits for the records written so far to reach the disk, then
// closes the file.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	j.flushTo(j.written)
	for j.flushing {
		j.cond.Wait()
	}
	serr := j.err
	err := j.f.Close()
	j.f = nil
	if serr != nil {
		return serr
	}
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
