package pkg

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/dafscript/dafscript/sim/policy"
)

// Limits bound what a reader accepts, so that a hostile package (a
// gzip bomb, thousands of entries) fails fast instead of filling memory.
type Limits struct {
	MaxEntries   int   // files in the archive, manifest included
	MaxFileBytes int64 // one file, uncompressed
	MaxTotal     int64 // all files, uncompressed
}

// DefaultLimits fit a network of hidden size 4096 with room to spare.
var DefaultLimits = Limits{MaxEntries: 64, MaxFileBytes: 512 << 20, MaxTotal: 1 << 30}

// Package is a read and verified package.
type Package struct {
	Manifest Manifest
	Files    map[string][]byte // by name, manifest.json excluded
	// SHA256 is the hash of the package file itself.
	SHA256 string
	Path   string // where it was read from, if from a file
}

// Error is a package that cannot be read; Path names the file.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "package: " + e.Err.Error()
	}
	return "package " + e.Path + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrHashMismatch is wrapped by the error of a file whose size or sha256
// differs from the manifest.
var ErrHashMismatch = errors.New("hash mismatch")

// Open reads and verifies the package file at p.
func Open(p string) (*Package, error) {
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{Path: p, Err: errors.New("no such file (want a .dafpkg written by dafscript package)")}
		}
		return nil, &Error{Path: p, Err: err}
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, &Error{Path: p, Err: errors.New("is a directory, not a .dafpkg file")}
	}
	pk, err := Read(f, DefaultLimits)
	if err != nil {
		var pe *Error
		if errors.As(err, &pe) {
			pe.Path = p
			return nil, pe
		}
		return nil, &Error{Path: p, Err: err}
	}
	pk.Path = p
	return pk, nil
}

// Read reads and verifies a package from r: every entry a plain file with
// a clean relative name, listed once in the manifest with its size and
// sha256, and every listed file present.
func Read(r io.Reader, lim Limits) (*Package, error) {
	h := sha256.New()
	pk, err := read(io.TeeReader(r, h), lim)
	if err != nil {
		return nil, &Error{Err: err}
	}
	pk.SHA256 = hex.EncodeToString(h.Sum(nil))
	return pk, nil
}

func read(r io.Reader, lim Limits) (*Package, error) {
	br := bufio.NewReader(r)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("not a gzip file (%v): is it a .dafpkg?", err)
	}
	zr.Multistream(false)
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	var manBytes []byte
	var total int64
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("truncated or corrupted archive: %v", err)
		}
		if n >= lim.MaxEntries {
			return nil, fmt.Errorf("more than %d entries", lim.MaxEntries)
		}
		name := hdr.Name
		if err := checkEntryName(name); err != nil {
			return nil, err
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("entry %q is not a plain file (type %q)", name, hdr.Typeflag)
		}
		if hdr.Size < 0 || hdr.Size > lim.MaxFileBytes {
			return nil, fmt.Errorf("entry %q has %d bytes, more than the limit of %d", name, hdr.Size, lim.MaxFileBytes)
		}
		if total += hdr.Size; total > lim.MaxTotal {
			return nil, fmt.Errorf("entries hold more than %d bytes in all", lim.MaxTotal)
		}
		if _, dup := files[name]; dup || (name == ManifestName && manBytes != nil) {
			return nil, fmt.Errorf("entry %q appears twice", name)
		}
		b := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, b); err != nil {
			return nil, fmt.Errorf("entry %q is truncated: %v", name, err)
		}
		if name == ManifestName {
			if n != 0 {
				return nil, fmt.Errorf("%s is not the first entry", ManifestName)
			}
			manBytes = b
			continue
		}
		files[name] = b
	}
	// Read to the end so that a truncated gzip stream (its checksum) is
	// noticed too.
	if _, err := io.Copy(io.Discard, io.LimitReader(zr, 1<<20)); err != nil {
		return nil, fmt.Errorf("truncated or corrupted archive: %v", err)
	}
	// Nothing may follow the gzip stream: the package's sha256 is that of
	// the whole file, and every byte of it is checked.
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, errors.New("data after the end of the compressed archive (the file is corrupted or was appended to)")
	}
	if manBytes == nil {
		return nil, fmt.Errorf("no %s (is it a .dafpkg written by dafscript package?)", ManifestName)
	}
	man, err := ParseManifest(manBytes)
	if err != nil {
		return nil, err
	}
	listed := map[string]bool{}
	for _, f := range man.Files {
		if listed[f.Name] {
			return nil, fmt.Errorf("%s lists %q twice", ManifestName, f.Name)
		}
		listed[f.Name] = true
		b, ok := files[f.Name]
		if !ok {
			return nil, fmt.Errorf("%s lists %q, which the archive lacks", ManifestName, f.Name)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); int64(len(b)) != f.Bytes || got != f.SHA256 {
			return nil, fmt.Errorf("%s: %w: %d bytes with sha256 %s, the manifest says %d bytes with sha256 %s (the package is tampered or corrupted)",
				f.Name, ErrHashMismatch, len(b), got, f.Bytes, f.SHA256)
		}
	}
	for name := range files {
		if !listed[name] {
			return nil, fmt.Errorf("entry %q is not listed in %s", name, ManifestName)
		}
	}
	if man.Policy.Neural {
		for _, n := range []string{"manifest.json", "state.json", "weights.bin"} {
			if _, ok := files[WeightsDir+"/"+n]; !ok {
				return nil, fmt.Errorf("a neural package needs %s/%s", WeightsDir, n)
			}
		}
	}
	return &Package{Manifest: *man, Files: files}, nil
}

// ParseManifest decodes and checks a manifest: known format, a version
// this reader understands, names and specs that fit this game.
func ParseManifest(b []byte) (*Manifest, error) {
	var probe struct {
		Format        string `json:"format"`
		FormatVersion int    `json:"format_version"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON: %v", ManifestName, err)
	}
	if probe.Format == Format && probe.FormatVersion > FormatVersion {
		// Say so before a stricter decode trips over fields from the future.
		return nil, fmt.Errorf("package format version %d is newer than this dafscript reads (%d): upgrade dafscript", probe.FormatVersion, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %v", ManifestName, err)
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	m.Policy.Kwargs = normalizeKwargs(m.Policy.Kwargs)
	for _, f := range m.Files {
		if err := checkEntryName(f.Name); err != nil {
			return nil, fmt.Errorf("%s: %v", ManifestName, err)
		}
		if f.Name == ManifestName {
			return nil, fmt.Errorf("%s lists itself", ManifestName)
		}
	}
	return &m, nil
}

// checkEntryName refuses absolute paths, "..", backslashes and anything
// not in clean form, so that no entry can name a place outside the
// package when extracted.
func checkEntryName(name string) error {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || strings.ContainsRune(name, 0) ||
		path.Clean(name) != name || name == "." || name == ".." || strings.HasPrefix(name, "../") || !fs.ValidPath(name) {
		return fmt.Errorf("entry name %q is not a clean relative path (path traversal refused)", name)
	}
	return nil
}

// Policy builds the packaged policy. kwargs override the stored keyword
// arguments (a device or thread count, say). A neural policy is built by
// its class in the policy registry from a temporary copy of the weights.
func (p *Package) Policy(kwargs map[string]any) (policy.Policy, error) {
	m := &p.Manifest
	kw := map[string]any{}
	for k, v := range m.Policy.Kwargs {
		kw[k] = v
	}
	for k, v := range kwargs {
		kw[k] = v
	}
	if len(kw) == 0 {
		kw = nil
	}
	spec := policy.Spec{Class: m.Policy.Class, Kwargs: kw}
	var inner policy.Policy
	var err error
	if !m.Policy.Neural {
		inner, err = policy.New(spec)
	} else {
		var dir string
		dir, err = os.MkdirTemp("", "dafpkg-*")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		for name, b := range p.Files {
			rel, ok := strings.CutPrefix(name, WeightsDir+"/")
			if !ok || strings.Contains(rel, "/") {
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, rel), b, 0o644); err != nil {
				return nil, err
			}
		}
		spec.Data = dir
		inner, err = policy.New(spec)
	}
	if err != nil {
		return nil, p.wrap(err)
	}
	return &Loaded{Policy: inner, name: m.Name + "@" + m.Version, pkg: p}, nil
}

func (p *Package) wrap(err error) error {
	return &Error{Path: p.Path, Err: err}
}

// Loaded is a packaged policy: the class's policy, named name@version.
type Loaded struct {
	policy.Policy
	name string
	pkg  *Package
}

// Name is "name@version".
func (l *Loaded) Name() string { return l.name }

// Package is the package the policy was loaded from.
func (l *Loaded) Package() *Package { return l.pkg }

// PreferredBatch passes the inner policy's preference on (see eval.Batcher).
func (l *Loaded) PreferredBatch() int {
	if b, ok := l.Policy.(interface{ PreferredBatch() int }); ok {
		return b.PreferredBatch()
	}
	return 0
}

// Class is the policy class packages are evaluated under: its data path
// is the .dafpkg file, e.g. policy.Spec{Class: "package", Data: "a.dafpkg"}.
const Class = "package"

var registerOnce sync.Once

// Register adds the class "package" to the policy registry (sim/policy).
// It is called in one place, the CLI's wiring (and by tests that need
// it); nothing registers it on import. Validating or evaluating a package
// by its spec needs it; Open and Package.Policy do not.
func Register() {
	registerOnce.Do(func() {
		policy.Register(Class, "a deployment package; data_path = a .dafpkg file (dafscript package)", func(s policy.Spec) (policy.Policy, error) {
			if s.Data == "" {
				return nil, errors.New("needs a data path: the .dafpkg file")
			}
			p, err := Open(s.Data)
			if err != nil {
				return nil, err
			}
			return p.Policy(s.Kwargs)
		})
	})
}
