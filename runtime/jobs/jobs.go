// Package jobs gives units of work their content address: a job's key is
// the SHA-256 of the canonical JSON of everything its result depends on
// (its kind, the mission, the policies and the hashes of their weights
// files, the seed, the step limit and the code version). Two jobs with
// the same key give the same result, so a key names a result in the
// cache and a job on the work queue. Episodes, sweep trials and pipeline
// stages all use these helpers.
package jobs

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

// Key is a content address: 64 lowercase hex digits.
type Key string

// Short is the key's first 12 digits, for messages.
func (k Key) Short() string {
	if len(k) > 12 {
		return string(k[:12])
	}
	return string(k)
}

// Mission identifies a mission by its canonical name, its variants and
// the hash of the game configuration it builds.
type Mission struct {
	Name       string   `json:"name"`
	Variants   []string `json:"variants"`
	ConfigHash string   `json:"config_hash"`
}

// Policy identifies a policy: its spec and the hash of its weights (""
// when Data is empty).
type Policy struct {
	Class       string         `json:"class"`
	Data        string         `json:"data,omitempty"`
	Kwargs      map[string]any `json:"kwargs,omitempty"`
	WeightsHash string         `json:"weights_hash,omitempty"`
	// Proportion is the policy's share of a team (1 for a whole team).
	Proportion float64 `json:"proportion"`
}

// Spec is what a job's result depends on. Extra holds kind-specific
// fields (a trial's hyper-parameters, say); it must marshal to JSON.
type Spec struct {
	Kind        string   `json:"kind"`
	Mission     *Mission `json:"mission,omitempty"`
	Policies    []Policy `json:"policies,omitempty"`
	Seed        uint64   `json:"seed"`
	Steps       int      `json:"steps"`
	CodeVersion string   `json:"code_version"`
	// Format is the version of the encoding of the result kept under the
	// key (a cache entry), when the kind has more than one: a new
	// encoding gets new keys, so an entry of another is never misread.
	Format int `json:"format,omitempty"`
	Extra  any `json:"extra,omitempty"`
}

// KeyOf returns the content address of s. The kind and the code version
// must be set: a key without them would outlive the code that made it.
func KeyOf(s Spec) (Key, error) {
	if s.Kind == "" {
		return "", fmt.Errorf("jobs: a job spec needs a kind")
	}
	if s.CodeVersion == "" {
		return "", fmt.Errorf("jobs: job spec of kind %s has no code version", s.Kind)
	}
	b, err := Canonical(s)
	if err != nil {
		return "", fmt.Errorf("jobs: job spec of kind %s: %w", s.Kind, err)
	}
	sum := sha256.Sum256(b)
	return Key(hex.EncodeToString(sum[:])), nil
}

// Canonical encodes v as canonical JSON: object keys sorted at every
// level, no insignificant space, numbers as encoding/json writes them
// (shortest round-trip form), HTML characters not escaped.
func Canonical(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	// Decoding into any and encoding again sorts the keys of objects that
	// came from structs or from custom marshallers too.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(generic); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// HashPath hashes a weights file, or every regular file under a folder
// (each file's path relative to the folder, with '/', and its contents,
// in sorted order), as hex SHA-256.
func HashPath(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("weights %s: %w", path, err)
	}
	h := sha256.New()
	if !st.IsDir() {
		if err := hashFile(h, path); err != nil {
			return "", err
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("weights %s: %w", path, err)
	}
	sort.Strings(files)
	for _, f := range files {
		rel, _ := filepath.Rel(path, f)
		fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
		if err := hashFile(h, f); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("weights %s: %w", path, err)
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err != nil {
		return fmt.Errorf("weights %s: %w", path, err)
	}
	fmt.Fprintf(w, "\x00%d\x00", n)
	return nil
}

// PolicyOf identifies spec with proportion p, hashing its weights (the
// file or folder spec.Data names) when it has any.
func PolicyOf(spec policy.Spec, p float64) (Policy, error) {
	out := Policy{Class: spec.Class, Data: spec.Data, Kwargs: spec.Kwargs, Proportion: p}
	if spec.Data != "" {
		h, err := HashPath(spec.Data)
		if err != nil {
			return Policy{}, fmt.Errorf("policy %s: %w", spec, err)
		}
		out.WeightsHash = h
	}
	return out, nil
}

var missionHashes sync.Map // canonical mission name -> *Mission

// MissionOf identifies m. Its configuration hash is that of the game
// configuration it builds for seed 0 (the map, the stations, the rules
// after every variant); it is computed once per mission name per process.
func MissionOf(m *mission.Mission) (*Mission, error) {
	if v, ok := missionHashes.Load(m.Name); ok {
		return v.(*Mission), nil
	}
	cfg, err := m.Build(0)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("mission %s: hash of its configuration: %w", m.Name, err)
	}
	sum := sha256.Sum256(b)
	id := &Mission{Name: m.Name, Variants: append([]string{}, m.Variants...), ConfigHash: hex.EncodeToString(sum[:])}
	v, _ := missionHashes.LoadOrStore(m.Name, id)
	return v.(*Mission), nil
}

var (
	codeOnce    sync.Once
	codeVersion string
	codeErr     error
)

// CodeVersion names the code that runs: the Go build ID of this
// executable ("go-build:" and the ID, whose last part is the linker's
// hash of the whole binary), or, where the executable carries none (not
// ELF, or built with -buildid=), "sha256:" and the hash of the file.
// Every change to the program (the simulator, a policy, an embedded map)
// changes it, so results cached by another build are never reused and a
// worker of another build is told apart. Reading the build ID costs
// microseconds; hashing a 50 MB binary costs about 0.1 s of CPU, which
// was most of a cached run. It is computed once per process.
func CodeVersion() (string, error) {
	codeOnce.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			codeErr = fmt.Errorf("code version: %w", err)
			return
		}
		if id := goBuildID(exe); id != "" {
			codeVersion = "go-build:" + id
			return
		}
		f, err := os.Open(exe)
		if err != nil {
			codeErr = fmt.Errorf("code version: %w", err)
			return
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			codeErr = fmt.Errorf("code version: read %s: %w", exe, err)
			return
		}
		codeVersion = "sha256:" + hex.EncodeToString(h.Sum(nil))
	})
	return codeVersion, codeErr
}

// goBuildID returns the Go build ID of the ELF executable at path (the
// note `go tool buildid` prints), or "" when it has none: a build ID of
// fewer than two parts is not one cmd/go wrote with the content hash.
func goBuildID(path string) string {
	f, err := elf.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		return ""
	}
	data, err := sec.Data()
	if err != nil || len(data) < 16 {
		return ""
	}
	bo := f.ByteOrder
	nameSize, descSize, typ := bo.Uint32(data), bo.Uint32(data[4:]), bo.Uint32(data[8:])
	const goBuildIDNote = 4
	if nameSize != 4 || typ != goBuildIDNote || string(data[12:16]) != "Go\x00\x00" || uint64(len(data)) < 16+uint64(descSize) {
		return ""
	}
	id := string(data[16 : 16+descSize])
	if strings.Count(id, "/") < 1 {
		return ""
	}
	return id
}
