package output

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// SessionInfo is a finished or running session found on disk.
type SessionInfo struct {
	Operation string
	ID        string
	Dir       string
	Manifest  *Manifest
}

// Ref returns "operation/id", which names the session unambiguously.
func (si SessionInfo) Ref() string { return si.Operation + "/" + si.ID }

// MaxManifestBytes bounds the size of a manifest.json dafscript reads: a
// manifest lists file names and hashes, far below it.
const MaxManifestBytes = 64 << 20

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestName)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxManifestBytes+1))
	if err != nil {
		return nil, err
	}
	return ParseManifest(path, data)
}

// ParseManifest decodes the manifest text data read from path (which
// labels errors).
func ParseManifest(path string, data []byte) (*Manifest, error) {
	if len(data) > MaxManifestBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB, not a manifest written by dafscript", path, MaxManifestBytes>>20)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// Sessions lists every session under the root that has a manifest, oldest
// first (by id, then operation). Folders without a readable manifest are
// skipped; the error lists unreadable manifests, if any, after the list.
func (m *Manager) Sessions() ([]SessionInfo, error) {
	var out []SessionInfo
	var bad []string
	for _, op := range Operations {
		entries, err := os.ReadDir(filepath.Join(m.root, op))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("output: %w", err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			dir := filepath.Join(m.root, op, e.Name())
			man, err := ReadManifest(dir)
			if errors.Is(err, fs.ErrNotExist) {
				// Killed while writing its first manifest: an
				// interrupted session, not an invisible one.
				if om, _, ok := orphanManifest(dir, op, e.Name()); ok {
					man, err = om, nil
				}
			}
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					bad = append(bad, err.Error())
				}
				continue
			}
			out = append(out, SessionInfo{Operation: op, ID: e.Name(), Dir: dir, Manifest: man})
		}
	}
	slices.SortStableFunc(out, func(a, b SessionInfo) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.Operation, b.Operation)
	})
	if len(bad) > 0 {
		return out, fmt.Errorf("output: unreadable manifests: %s", strings.Join(bad, "; "))
	}
	return out, nil
}

// Find resolves "ID" or "operation/ID" (or a session folder path) to a
// session. An id used by several operations must be qualified.
func (m *Manager) Find(ref string) (SessionInfo, error) {
	if fi, err := os.Stat(filepath.Join(ref, ManifestName)); err == nil && !fi.IsDir() {
		man, err := ReadManifest(ref)
		if err != nil {
			return SessionInfo{}, err
		}
		return SessionInfo{Operation: man.Operation, ID: man.Session, Dir: ref, Manifest: man}, nil
	}
	all, err := m.Sessions()
	if err != nil && len(all) == 0 {
		return SessionInfo{}, err
	}
	op, id, qualified := strings.Cut(ref, "/")
	if !qualified {
		id, op = ref, ""
	}
	var hits []SessionInfo
	for _, s := range all {
		if s.ID == id && (op == "" || s.Operation == op) {
			hits = append(hits, s)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		msg := fmt.Sprintf("no session %q under %s", ref, m.root)
		if len(all) > 0 {
			msg += fmt.Sprintf(" (latest: %s; `dafscript sessions` lists them)", all[len(all)-1].Ref())
		} else {
			msg += " (it has no sessions yet)"
		}
		return SessionInfo{}, errors.New(msg)
	default:
		refs := make([]string, len(hits))
		for i, h := range hits {
			refs[i] = h.Ref()
		}
		return SessionInfo{}, fmt.Errorf("session id %q is ambiguous: write one of %s", ref, strings.Join(refs, ", "))
	}
}

// Stale reports whether a session still marked running belongs to a
// process of this host that no longer exists (it was killed).
func (m *Manifest) Stale() bool {
	if m.Status != StatusRunning || m.PID <= 0 {
		return false
	}
	if host, _ := os.Hostname(); host != m.Host {
		return false
	}
	p, err := os.FindProcess(m.PID)
	if err != nil {
		return true
	}
	err = p.Signal(syscall.Signal(0))
	return errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH)
}

// Verify re-hashes the files of a session and returns one line per file
// whose size or hash differs from the manifest, or that is missing.
func Verify(dir string, man *Manifest) []string {
	var problems []string
	for _, f := range man.Files {
		if !filepath.IsLocal(filepath.FromSlash(f.Name)) {
			// A hostile manifest must not send the check out of the
			// session (to /dev/zero, say).
			problems = append(problems, fmt.Sprintf("%s: not a file inside the session folder", f.Name))
			continue
		}
		e, err := hashFile(filepath.Join(dir, filepath.FromSlash(f.Name)))
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", f.Name, err))
		case e.Size != f.Size || e.SHA256 != f.SHA256:
			problems = append(problems, fmt.Sprintf("%s: changed since it was written (size %d, recorded %d)", f.Name, e.Size, f.Size))
		}
	}
	return problems
}

// FindFolder resolves ref to a session folder or a step folder of one,
// as a resume names what to resume: the path of either (a relative path
// against wd), or "FOLDER/ID" or an ID under the root (see Find). A
// folder that is neither is an error.
func (m *Manager) FindFolder(ref, wd string) (string, error) {
	p := ref
	if !filepath.IsAbs(p) && wd != "" {
		p = filepath.Join(wd, p)
	}
	isDir := false
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		isDir = true
		if _, err := os.Stat(filepath.Join(p, ManifestName)); err == nil {
			return filepath.Clean(p), nil
		}
		if man, err := ReadManifest(filepath.Dir(p)); err == nil {
			for _, st := range man.Steps {
				if st.Dir == filepath.Base(p) {
					return filepath.Clean(p), nil
				}
			}
		}
	}
	si, err := m.Find(ref)
	if err != nil && isDir {
		return "", fmt.Errorf("%s is neither a session folder nor a step of one (it has no %s, and its parent lists no step %s)", ref, ManifestName, filepath.Base(p))
	}
	if err != nil {
		return "", err
	}
	return si.Dir, nil
}
