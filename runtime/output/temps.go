package output

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// tempMark separates a file's name from its writer in a temporary's name:
// .NAME.tmp-HOST.PID.START-RANDOM, where HOST is a hash of the host name,
// PID the writer's process id and START its start time (0 where the
// system does not tell), so that a reused pid is not taken for the writer.
const tempMark = ".tmp-"

var self = sync.OnceValue(func() string {
	return writerID(hostHash(), os.Getpid(), procStart(os.Getpid()))
})

func writerID(host string, pid int, start string) string {
	return host + "." + strconv.Itoa(pid) + "." + start
}

func hostHash() string {
	h, _ := os.Hostname()
	f := fnv.New32a()
	f.Write([]byte(h))
	return strconv.FormatUint(uint64(f.Sum32()), 36)
}

// procStart returns the start time of process pid in clock ticks since
// boot as /proc tells it, or "0" where there is no /proc.
func procStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "0"
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "0"
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "0"
	}
	return f[19]
}

// TempPattern is the os.CreateTemp (or os.MkdirTemp) pattern of a
// temporary that will become base: hidden, named after base and after
// the process writing it. Writers of other kinds of files (checkpoint
// folders) use it too, so that CleanTemps finds what they leave.
func TempPattern(base string) string {
	return "." + base + tempMark + self() + "-*"
}

// A Temp is a temporary file or folder found on disk.
type Temp struct {
	Path   string
	Target string // the name it was to become, in the same folder
	PID    int    // its writer; 0 when the name does not say (an older dafscript)
	Gone   bool   // its writer no longer runs: nothing will finish it
}

// parseTemp reads a temporary's name; ok is false for other names.
func parseTemp(dir, name string) (Temp, bool) {
	i := strings.LastIndex(name, tempMark)
	if !strings.HasPrefix(name, ".") || i <= 1 {
		return Temp{}, false
	}
	t := Temp{Path: filepath.Join(dir, name), Target: name[1:i]}
	rest := name[i+len(tempMark):]
	writer, _, ok := strings.Cut(rest, "-")
	parts := strings.Split(writer, ".")
	if !ok || len(parts) != 3 {
		return t, true
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return t, true
	}
	t.PID = pid
	t.Gone = parts[0] == hostHash() && !running(pid, parts[2])
	return t, true
}

// running reports whether process pid, started at start, still runs.
func running(pid int, start string) bool {
	if writerID(hostHash(), pid, start) == self() {
		return true
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if err := p.Signal(syscall.Signal(0)); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	// The pid runs; it is the writer unless it was reused since.
	return start == "0" || procStart(pid) == "0" || procStart(pid) == start
}

// Temps lists the temporaries in dir (not below it), sorted by name.
func Temps(dir string) ([]Temp, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Temp
	for _, e := range entries {
		if t, ok := parseTemp(dir, e.Name()); ok {
			out = append(out, t)
		}
	}
	return out, nil
}

// CleanTemps removes the temporaries under dir, at any depth, whose
// writing process no longer runs on this host, and returns their paths,
// sorted. A temporary of a running process, of another host, or with no
// writer in its name is left alone.
func CleanTemps(dir string) ([]string, error) {
	var removed []string
	var errs []error
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if p == dir {
			return nil
		}
		t, ok := parseTemp(filepath.Dir(p), d.Name())
		if !ok || !t.Gone {
			return nil
		}
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
		} else {
			removed = append(removed, p)
		}
		if d.IsDir() {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	slices.Sort(removed)
	if len(errs) > 0 {
		return removed, fmt.Errorf("output: cleaning temporaries under %s: %w", dir, errors.Join(errs...))
	}
	return removed, nil
}

// orphanManifest returns the manifest of a session folder that has no
// manifest.json but a temporary one: its process was killed while writing
// its first manifest. The temporary is used when it is complete;
// otherwise the manifest is rebuilt from the folder's name and the
// temporary's writer. ok is false when dir holds no temporary manifest.
func orphanManifest(dir, op, id string) (man *Manifest, writerGone, ok bool) {
	temps, err := Temps(dir)
	if err != nil {
		return nil, false, false
	}
	for _, t := range temps {
		if t.Target != ManifestName {
			continue
		}
		ok = true
		if data, err := os.ReadFile(t.Path); err == nil && len(data) <= MaxManifestBytes {
			var m Manifest
			if json.Unmarshal(data, &m) == nil && m.Session == id && m.Operation == op {
				return &m, t.Gone, true
			}
		}
		if man == nil || t.Gone {
			host, _ := os.Hostname()
			man = &Manifest{Operation: op, Session: id, Status: StatusRunning, Host: host, PID: t.PID,
				Vars: map[string]string{}, Args: map[string]any{}, Files: []FileEntry{},
				Error: "the run was killed while writing its first manifest"}
			writerGone = t.Gone
		}
	}
	return man, writerGone, ok
}

// Repaired is what Repair did.
type Repaired struct {
	Removed   []string // temporaries of killed processes, removed
	Recovered []string // session folders given back a manifest.json (operation/id)
}

// Repair cleans the output root after killed runs: it removes every
// temporary whose writer no longer runs and gives a manifest.json to each
// session folder that holds only a temporary one (the session then lists
// as interrupted).
func (m *Manager) Repair() (Repaired, error) {
	var r Repaired
	var errs []error
	for _, op := range Operations {
		rr, err := m.repairOp(op, true)
		r.Removed = append(r.Removed, rr.Removed...)
		r.Recovered = append(r.Recovered, rr.Recovered...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return r, errors.Join(errs...)
}

// repairOp repairs the sessions of one operation: every one when all is
// set, else only those a killed process left (no manifest.json, or one
// still marked running by a process that is gone).
func (m *Manager) repairOp(op string, all bool) (Repaired, error) {
	var r Repaired
	entries, err := os.ReadDir(filepath.Join(m.root, op))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return r, nil
		}
		return r, fmt.Errorf("output: %w", err)
	}
	var errs []error
	for _, e := range entries {
		dir := filepath.Join(m.root, op, e.Name())
		if !e.IsDir() {
			if t, ok := parseTemp(filepath.Dir(dir), e.Name()); ok && t.Gone {
				if err := os.Remove(dir); err == nil {
					r.Removed = append(r.Removed, dir)
				}
			}
			continue
		}
		man, err := ReadManifest(dir)
		if errors.Is(err, fs.ErrNotExist) {
			if om, gone, ok := orphanManifest(dir, op, e.Name()); ok && gone {
				data, _ := json.MarshalIndent(om, "", "  ")
				if err := WriteFileAtomic(filepath.Join(dir, ManifestName), append(data, '\n'), 0o644); err != nil {
					errs = append(errs, err)
					continue
				}
				r.Recovered = append(r.Recovered, op+"/"+e.Name())
			}
		} else if !all && (err != nil || !man.Stale()) {
			continue
		}
		removed, err := CleanTemps(dir)
		r.Removed = append(r.Removed, removed...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return r, errors.Join(errs...)
}
