package torch

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/sim"
)

// A checkpoint is a directory:
//
//	manifest.json   format, version and the sha256 and size of every other file
//	state.json      network configuration, optimizer step, trainer state
//	weights.bin     the flat weight vector, float32 little-endian, Layout order
//	optimizer.bin   Adam's first then second moments, same layout
//
// It is written into a temporary directory that is then renamed, so a
// reader sees a complete checkpoint or none.
const (
	// CheckpointFormat and CheckpointVersion name what a checkpoint's
	// manifest.json and state.json hold.
	CheckpointFormat  = "dafscript-checkpoint"
	CheckpointVersion = 1
	manifestName      = "manifest.json"
)

// Checkpoint is a network's weights and optimizer state, with the state of
// the training run that made them (opaque here, runtime/train's JSON).
type Checkpoint struct {
	Config    Config
	Params    []float32
	AdamAvg   []float32 // nil when there is no optimizer state
	AdamAvgSq []float32
	AdamStep  int64
	Trainer   json.RawMessage

	Dir string // where it was read from
}

type ckState struct {
	Format     string          `json:"format"`
	Version    int             `json:"version"`
	Class      string          `json:"class"`
	Obs        int             `json:"obs"`
	Encoding   string          `json:"encoding,omitempty"`
	Hidden     int             `json:"hidden_size"`
	Actions    int             `json:"actions"`
	Vibes      []string        `json:"vibes,omitempty"` // the vibes of the actions after the moves; absent: the first ones
	Activation string          `json:"activation"`
	NumParams  int             `json:"num_params"`
	Optimizer  bool            `json:"optimizer"`
	AdamStep   int64           `json:"adam_step"`
	Layout     []Tensor        `json:"layout"`
	Trainer    json.RawMessage `json:"trainer,omitempty"`
}

// CheckpointFile is one file of a checkpoint as its manifest lists it.
type CheckpointFile struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// CheckpointManifest is a checkpoint's manifest.json. Deployment packages
// (runtime/pkg) rewrite it when they leave the optimizer state out.
type CheckpointManifest struct {
	Format  string           `json:"format"`
	Version int              `json:"version"`
	Files   []CheckpointFile `json:"files"`
}

// NewCheckpointManifest lists files in the order of names, with their
// sizes and sha256.
func NewCheckpointManifest(files map[string][]byte, names []string) CheckpointManifest {
	man := CheckpointManifest{Format: CheckpointFormat, Version: CheckpointVersion}
	for _, n := range names {
		sum := sha256.Sum256(files[n])
		man.Files = append(man.Files, CheckpointFile{Name: n, Bytes: int64(len(files[n])), SHA256: hex.EncodeToString(sum[:])})
	}
	return man
}

func floatsBytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

func bytesFloats(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// WriteCheckpoint writes ck as the directory dir, replacing one that is there.
func WriteCheckpoint(dir string, ck *Checkpoint) error {
	c := ck.Config
	if len(ck.Params) != c.NumParams() {
		return fmt.Errorf("checkpoint %s: %d weights for a network of %d", dir, len(ck.Params), c.NumParams())
	}
	st := ckState{Format: CheckpointFormat, Version: CheckpointVersion, Class: c.Class(), Obs: c.Obs, Encoding: c.Encoding, Hidden: c.Hidden,
		Actions: c.Actions, Vibes: c.VibeNames(), Activation: c.Activation(), NumParams: c.NumParams(), Layout: c.Layout(), Trainer: ck.Trainer}
	files := map[string][]byte{"weights.bin": floatsBytes(ck.Params)}
	names := []string{"state.json", "weights.bin"}
	if ck.AdamAvg != nil {
		if len(ck.AdamAvg) != len(ck.Params) || len(ck.AdamAvgSq) != len(ck.Params) {
			return fmt.Errorf("checkpoint %s: optimizer state does not match the weights", dir)
		}
		st.Optimizer, st.AdamStep = true, ck.AdamStep
		files["optimizer.bin"] = append(floatsBytes(ck.AdamAvg), floatsBytes(ck.AdamAvgSq)...)
		names = append(names, "optimizer.bin")
	}
	sj, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	files["state.json"] = append(sj, '\n')
	man := NewCheckpointManifest(files, names)
	mj, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	files[manifestName] = append(mj, '\n')
	names = append(names, manifestName)

	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, output.TempPattern(filepath.Base(dir)))
	if err != nil {
		return err
	}
	fail := func(err error) error {
		os.RemoveAll(tmp)
		return fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	for _, n := range names {
		if err := writeSynced(filepath.Join(tmp, n), files[n]); err != nil {
			return fail(err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fail(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fail(err)
	}
	if d, err := os.Open(parent); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadCheckpoint reads and verifies a checkpoint. path is its directory or
// any file in it (its manifest.json, say).
func ReadCheckpoint(path string) (*Checkpoint, error) {
	dir := path
	if fi, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("checkpoint %s: no such file or directory", path)
		}
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	} else if !fi.IsDir() {
		// A file of a checkpoint (its manifest.json, say) stands for its
		// folder; any other file is not a checkpoint.
		dir = filepath.Dir(path)
		if _, err := os.Stat(filepath.Join(dir, manifestName)); err != nil {
			return nil, fmt.Errorf("checkpoint %s: is a file, but a checkpoint is a folder written by daf.train (holding %s, state.json and weights.bin), such as daf_output/training/<session>/checkpoints/update_000010", path, manifestName)
		}
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("checkpoint %s: %s", path, fmt.Sprintf(format, a...))
	}
	mb, err := readLimited(filepath.Join(dir, manifestName), maxCheckpointJSON)
	if err != nil {
		return nil, fail("no readable %s: a checkpoint is a folder written by daf.train (holding %s, state.json and weights.bin)", manifestName, manifestName)
	}
	var man CheckpointManifest
	if err := json.Unmarshal(mb, &man); err != nil {
		return nil, fail("%s is corrupted: %v", manifestName, err)
	}
	if man.Format != CheckpointFormat {
		return nil, fail("%s is not a dafscript checkpoint manifest (format %q)", manifestName, man.Format)
	}
	if man.Version != CheckpointVersion {
		return nil, fail("format version %d is not supported (this dafscript reads version %d)", man.Version, CheckpointVersion)
	}
	files := map[string][]byte{}
	for _, f := range man.Files {
		if f.Name != filepath.Base(f.Name) || f.Name == manifestName {
			return nil, fail("manifest lists a bad file name %q", f.Name)
		}
		if f.Bytes < 0 || f.Bytes > maxCheckpointFile {
			return nil, fail("manifest gives %s a size of %d bytes, more than a checkpoint file holds (at most %d)", f.Name, f.Bytes, int64(maxCheckpointFile))
		}
		b, err := readLimited(filepath.Join(dir, f.Name), f.Bytes+1)
		if err != nil {
			return nil, fail("%s is missing: %v", f.Name, err)
		}
		if int64(len(b)) != f.Bytes {
			return nil, fail("%s is truncated or altered: %d bytes, the manifest says %d", f.Name, len(b), f.Bytes)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != f.SHA256 {
			return nil, fail("%s is corrupted: sha256 %s, the manifest says %s", f.Name, got, f.SHA256)
		}
		files[f.Name] = b
	}
	sb, ok := files["state.json"]
	if !ok {
		return nil, fail("the manifest lists no state.json")
	}
	var st ckState
	dec := json.NewDecoder(bytes.NewReader(sb))
	if err := dec.Decode(&st); err != nil {
		return nil, fail("state.json: %v", err)
	}
	cfg, err := DefaultConfig(st.Class, st.Hidden)
	if err != nil {
		return nil, fail("state.json: %v", err)
	}
	cfg.ReLU = st.Activation == "relu"
	if err := cfg.SetEncoding(st.Encoding); err != nil {
		return nil, fail("state.json: %v", err)
	}
	if st.Activation != "relu" && st.Activation != "tanh" {
		return nil, fail("state.json: unknown activation %q", st.Activation)
	}
	// A policy may use fewer actions than the game has: noop, the moves
	// and the first vibes, which keep their ids (the vibes hyperparameter),
	// or the vibes it names (daf.train's vibes).
	if st.Actions > sim.ActionVibeBase && st.Actions < cfg.Actions {
		cfg.Actions = st.Actions
	}
	if st.Vibes != nil {
		if err := cfg.SetVibes(st.Vibes); err != nil {
			return nil, fail("state.json: %v", err)
		}
		if cfg.Actions != st.Actions {
			return nil, fail("state.json: %d actions for %d vibes (want %d)", st.Actions, len(st.Vibes), cfg.Actions)
		}
	}
	if st.Obs != cfg.Obs || st.Actions != cfg.Actions {
		return nil, fail("made for observations of %d bytes and %d actions; this game has %d and %d", st.Obs, st.Actions, cfg.Obs, cfg.Actions)
	}
	if st.Hidden <= 0 || st.NumParams != cfg.NumParams() {
		return nil, fail("state.json: %d parameters do not fit a %s network of hidden size %d (%d)", st.NumParams, st.Class, st.Hidden, cfg.NumParams())
	}
	wb, ok := files["weights.bin"]
	if !ok || len(wb) != 4*st.NumParams {
		return nil, fail("weights.bin holds %d bytes, a %s network of hidden size %d needs %d", len(wb), st.Class, st.Hidden, 4*st.NumParams)
	}
	ck := &Checkpoint{Config: cfg, Params: bytesFloats(wb), AdamStep: st.AdamStep, Trainer: st.Trainer, Dir: dir}
	for i, v := range ck.Params {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fail("weight %d is %v (the run that wrote it diverged)", i, v)
		}
	}
	if st.Optimizer {
		ob, ok := files["optimizer.bin"]
		if !ok || len(ob) != 8*st.NumParams {
			return nil, fail("optimizer.bin holds %d bytes, %d expected", len(ob), 8*st.NumParams)
		}
		o := bytesFloats(ob)
		ck.AdamAvg, ck.AdamAvgSq = o[:st.NumParams], o[st.NumParams:]
	}
	return ck, nil
}

// Bounds on what ReadCheckpoint reads, so that a hostile checkpoint
// cannot make it allocate without end: the manifest is a few hundred
// bytes, and weights.bin of the largest network is far below 4 GiB.
const (
	maxCheckpointJSON = 1 << 20
	maxCheckpointFile = 4 << 30
)

// readLimited reads at most limit bytes of path (enough to tell that a
// file is larger than the limit).
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit))
}
