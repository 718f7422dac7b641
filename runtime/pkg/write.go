package pkg

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/train/torch"
	"github.com/dafscript/dafscript/sim/policy"
)

// Options configures Write (daf.package, dafscript package).
type Options struct {
	// Policy is what to package: a scripted class (no Data), or a neural
	// class whose Data is a daf.train checkpoint folder. Kwargs are stored
	// and used whenever the package is loaded.
	Policy  policy.Spec
	Name    string
	Version string
	// CodeVersion is the dafscript version that writes the package.
	CodeVersion string
	// Out is the path of the .dafpkg file to write; empty writes it into
	// the session folder as FileName(Name, Version).
	Out string
}

// FileName is the file name a package of name and version gets when no
// path is given: "NAME-VERSION.dafpkg".
func FileName(name, version string) string { return name + "-" + version + Ext }

// Check is the only validation of package options.
func (o Options) Check() error {
	if strings.TrimSpace(o.Policy.Class) == "" {
		return errors.New("policy: class is empty (want a policy such as \"baseline\", or \"stateless\" with a checkpoint)")
	}
	if err := CheckName("name", o.Name); err != nil {
		return err
	}
	if err := CheckName("version", o.Version); err != nil {
		return err
	}
	if o.Out != "" && !strings.HasSuffix(o.Out, Ext) {
		return fmt.Errorf("out %q: a package file name ends in %s", o.Out, Ext)
	}
	if err := checkKwargs(o.Policy.Kwargs); err != nil {
		return err
	}
	if o.Policy.Data != "" {
		if o.Policy.Class != "stateless" && o.Policy.Class != "lstm" {
			return fmt.Errorf("policy %s: a checkpoint packages as \"stateless\" or \"lstm\" (the class daf.train trained), not %q", o.Policy, o.Policy.Class)
		}
		return nil
	}
	// A scripted policy is cheap to build: an unknown class or a bad
	// keyword argument is reported here, with a did-you-mean.
	if _, err := policy.New(o.Policy); err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	return nil
}

func checkKwargs(kw map[string]any) error {
	keys := make([]string, 0, len(kw))
	for k := range kw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch kw[k].(type) {
		case bool, string, int, int64, uint64, float64, nil:
		default:
			return fmt.Errorf("policy keyword argument %s: %T cannot be stored in a package (want a bool, number or string)", k, kw[k])
		}
	}
	return nil
}

// Result describes a written package.
type Result struct {
	Path     string   `json:"path"`
	SHA256   string   `json:"sha256"`
	Bytes    int64    `json:"bytes"`
	Manifest Manifest `json:"manifest"`
}

// Write builds the package o describes and writes it atomically to o.Out
// (a path of the caller's choosing), or with no o.Out into the session
// folder as FileName(Name, Version). With a session, it also records the
// result there as package.json.
func Write(ctx context.Context, sess *output.Session, o Options) (*Result, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inSession := o.Out == ""
	if inSession {
		if sess == nil {
			return nil, errors.New("out: no output path given and no session to write into (want a file name ending in " + Ext + ")")
		}
		o.Out = sess.Path(FileName(o.Name, o.Version))
	}
	data, man, err := Build(o)
	if err != nil {
		return nil, err
	}
	if dir := filepath.Dir(o.Out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("package %s: %w", o.Out, err)
		}
	}
	if err := output.WriteFileAtomic(o.Out, data, 0o644); err != nil {
		return nil, err
	}
	if inSession {
		if err := sess.Track(FileName(o.Name, o.Version)); err != nil {
			return nil, err
		}
	}
	sum := sha256.Sum256(data)
	res := &Result{Path: o.Out, SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(data)), Manifest: *man}
	if sess != nil {
		if _, err := sess.WriteJSON("package.json", res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Build returns the bytes of the package o describes (o.Out is not used).
// The same options and checkpoint give the same bytes.
func Build(o Options) ([]byte, *Manifest, error) {
	man := &Manifest{Format: Format, FormatVersion: FormatVersion, Name: o.Name, Version: o.Version,
		Observation: GameObs(), Action: GameAction(), CodeVersion: o.CodeVersion}
	if err := checkKwargs(o.Policy.Kwargs); err != nil {
		return nil, nil, err
	}
	files := map[string][]byte{}
	if o.Policy.Data == "" {
		// A scripted policy: it must build, so that a package never holds
		// a class or arguments nobody can load.
		p, err := policy.New(policy.Spec{Class: o.Policy.Class, Kwargs: o.Policy.Kwargs})
		if err != nil {
			return nil, nil, err
		}
		man.Policy = Policy{Class: p.Name(), Kwargs: o.Policy.Kwargs}
	} else {
		ck, err := readCheckpoint(o.Policy.Data)
		if err != nil {
			return nil, nil, err
		}
		if o.Policy.Class != ck.class {
			return nil, nil, fmt.Errorf("checkpoint %s holds a %s policy, not %s", o.Policy.Data, ck.class, o.Policy.Class)
		}
		man.Policy = Policy{Class: ck.class, Kwargs: o.Policy.Kwargs, Neural: true, Recurrent: ck.class == "lstm"}
		man.Network = &ck.network
		man.Training = ck.training
		for name, b := range ck.files {
			files[WeightsDir+"/"+name] = b
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sum := sha256.Sum256(files[n])
		man.Files = append(man.Files, File{Name: n, Bytes: int64(len(files[n])), SHA256: hex.EncodeToString(sum[:])})
	}
	mj, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	mj = append(mj, '\n')

	var buf bytes.Buffer
	// No name, no modification time: the gzip header is the same on every
	// machine and every day.
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, nil, err
	}
	tw := tar.NewWriter(zw)
	add := func(name string, b []byte) error {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(b)),
			ModTime: time.Unix(0, 0), Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	if err := add(ManifestName, mj); err != nil {
		return nil, nil, err
	}
	for _, n := range names {
		if err := add(n, files[n]); err != nil {
			return nil, nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), man, nil
}

// The checkpoint folder written by daf.train (runtime/train/torch):
// manifest.json lists state.json, weights.bin and optionally
// optimizer.bin with their sizes and sha256. A package keeps the weights
// and drops the optimizer state, so it rewrites state.json and the
// checkpoint manifest accordingly.

type checkpoint struct {
	class    string
	network  Network
	training *Training
	files    map[string][]byte // manifest.json, state.json, weights.bin
}

func readCheckpoint(dir string) (*checkpoint, error) {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("checkpoint %s: %s", dir, fmt.Sprintf(format, a...))
	}
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fail("no such file or directory")
		}
		return nil, fail("%v", err)
	}
	if !fi.IsDir() {
		dir = filepath.Dir(dir)
	}
	mb, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fail("no readable manifest.json (is this a checkpoint folder written by daf.train?)")
	}
	var man torch.CheckpointManifest
	if err := json.Unmarshal(mb, &man); err != nil {
		return nil, fail("manifest.json is corrupted: %v", err)
	}
	if man.Format != torch.CheckpointFormat || man.Version != torch.CheckpointVersion {
		return nil, fail("manifest.json is not a version %d dafscript checkpoint manifest (format %q, version %d)", torch.CheckpointVersion, man.Format, man.Version)
	}
	raw := map[string][]byte{}
	for _, f := range man.Files {
		if f.Name != "state.json" && f.Name != "weights.bin" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			return nil, fail("%s is missing: %v", f.Name, err)
		}
		sum := sha256.Sum256(b)
		if int64(len(b)) != f.Bytes || hex.EncodeToString(sum[:]) != f.SHA256 {
			return nil, fail("%s is truncated or altered (its sha256 or size differs from manifest.json)", f.Name)
		}
		raw[f.Name] = b
	}
	if raw["state.json"] == nil || raw["weights.bin"] == nil {
		return nil, fail("manifest.json does not list state.json and weights.bin")
	}
	var st map[string]json.RawMessage
	if err := json.Unmarshal(raw["state.json"], &st); err != nil {
		return nil, fail("state.json: %v", err)
	}
	var info struct {
		Class      string          `json:"class"`
		Hidden     int             `json:"hidden_size"`
		Activation string          `json:"activation"`
		NumParams  int             `json:"num_params"`
		Trainer    json.RawMessage `json:"trainer"`
	}
	if err := json.Unmarshal(raw["state.json"], &info); err != nil {
		return nil, fail("state.json: %v", err)
	}
	if info.Class != "stateless" && info.Class != "lstm" {
		return nil, fail("state.json: unknown network class %q", info.Class)
	}
	if len(raw["weights.bin"]) != 4*info.NumParams {
		return nil, fail("weights.bin holds %d bytes for %d parameters", len(raw["weights.bin"]), info.NumParams)
	}
	ck := &checkpoint{class: info.Class, network: Network{Hidden: info.Hidden, Activation: info.Activation,
		Params: info.NumParams, LSTM: info.Class == "lstm"}}
	if len(info.Trainer) > 0 && string(info.Trainer) != "null" {
		var tr struct {
			Missions        []string           `json:"missions"`
			Seed            uint64             `json:"seed"`
			Hyperparameters map[string]float64 `json:"hyperparameters"`
			Update          int                `json:"update"`
			Step            int64              `json:"step"`
			Episodes        int                `json:"episodes"`
		}
		if err := json.Unmarshal(info.Trainer, &tr); err != nil {
			return nil, fail("state.json: trainer: %v", err)
		}
		ck.training = &Training{Missions: tr.Missions, Steps: tr.Step, Updates: tr.Update, Episodes: tr.Episodes,
			Seed: tr.Seed, Hyperparameters: tr.Hyperparameters}
	}
	// Drop the optimizer state: a deployed policy does not train.
	st["optimizer"] = json.RawMessage("false")
	st["adam_step"] = json.RawMessage("0")
	if tr, ok := st["trainer"]; ok {
		clean, err := dropSpeeds(tr)
		if err != nil {
			return nil, fail("state.json: trainer: %v", err)
		}
		st["trainer"] = clean
	}
	sj, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, err
	}
	sj = append(sj, '\n')
	ck.files = map[string][]byte{"state.json": sj, "weights.bin": raw["weights.bin"]}
	out := torch.NewCheckpointManifest(ck.files, []string{"state.json", "weights.bin"})
	omj, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	ck.files["manifest.json"] = append(omj, '\n')
	return ck, nil
}

// WriteText says what was packaged, where, and its sha256.
func (r *Result) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "Packaged %s@%s (policy %s, %d bytes)\n  %s\n  sha256 %s\n",
		r.Manifest.Name, r.Manifest.Version, r.Manifest.Policy.Class, r.Bytes, r.Path, r.SHA256)
	return err
}

// dropSpeeds removes the wall-clock speed (sps) of every point of the
// trainer's curve: two trainings with the same options and seed write
// the same weights but not the same speeds, and a package must depend on
// what was learned alone.
func dropSpeeds(trainer json.RawMessage) (json.RawMessage, error) {
	var tr map[string]json.RawMessage
	if err := json.Unmarshal(trainer, &tr); err != nil || tr == nil {
		return trainer, nil // null or not an object: nothing to drop
	}
	raw, ok := tr["curve"]
	if !ok {
		return trainer, nil
	}
	var curve []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &curve); err != nil {
		return nil, fmt.Errorf("curve: %v", err)
	}
	for _, pt := range curve {
		delete(pt, "sps")
	}
	c, err := json.Marshal(curve)
	if err != nil {
		return nil, err
	}
	tr["curve"] = c
	return json.Marshal(tr)
}
