// Package cache stores finished results by content address (a
// runtime/jobs key), so that running the same work again reuses them.
//
// The store lives in the user's cache folder ($XDG_CACHE_HOME/dafscript,
// ~/.cache/dafscript on Linux, ~/Library/Caches/dafscript on macOS) unless
// DAF_CACHE_DIR or Options.Dir names another. It is not under the output
// root: sessions there are one folder per run, while a content address
// names the same result in every project and checkout, so one store per
// user shares the work between them. Entries are files
// <dir>/<kind>/<key[:2]>/<key>.bin; a key covers the code version, the
// mission, the policy weights, the seed and the format of the entry, so an
// entry is never stale, only unused.
//
// An entry is written to a temporary file that is renamed into place,
// without flushing it to disk: a cache entry can always be made again, so
// it is not worth an fsync (two per entry cost more CPU than encoding it).
// What a crash may leave instead (a file cut short, or zeros) is caught
// on reading: each entry carries its length and a CRC-32C of its payload,
// and one that does not match is a miss, logged and removed, never a
// result.
package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/dafscript/dafscript/runtime/jobs"
	"github.com/dafscript/dafscript/runtime/output"
)

// EnvDir is the environment variable that moves the default store.
const EnvDir = "DAF_CACHE_DIR"

// Options selects a store.
type Options struct {
	// Dir is the store's folder; "" means DefaultDir().
	Dir string
	// Disabled refuses the cache (--no-cache): Open returns nil, and a
	// nil *Cache neither finds nor keeps anything.
	Disabled bool
	// Logger receives a warning for every entry found corrupt (nil:
	// slog.Default()).
	Logger *slog.Logger
}

// Check validates the options.
func (o *Options) Check() error {
	if o.Dir != "" && strings.ContainsRune(o.Dir, 0) {
		return fmt.Errorf("cache folder %q: contains a NUL byte", o.Dir)
	}
	return nil
}

// DefaultDir is $DAF_CACHE_DIR, or the dafscript folder in the user's
// cache folder.
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder: %w (set %s or pass --no-cache)", err, EnvDir)
	}
	return filepath.Join(base, "dafscript"), nil
}

// Cache is a store of results. A nil *Cache is valid and empty.
type Cache struct {
	dir string
	log *slog.Logger
}

// Open opens (creating it if needed) the store o selects; nil, nil when
// o.Disabled.
func Open(o Options) (*Cache, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if o.Disabled {
		return nil, nil
	}
	dir := o.Dir
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache folder: %w (pass --no-cache to run without it)", err)
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Cache{dir: dir, log: log}, nil
}

// Dir returns the store's folder ("" for a nil cache).
func (c *Cache) Dir() string {
	if c == nil {
		return ""
	}
	return c.dir
}

func validKind(kind string) error {
	if kind == "" || strings.ContainsAny(kind, `/\.`) || strings.HasPrefix(kind, "-") {
		return fmt.Errorf("cache: bad kind %q", kind)
	}
	return nil
}

func validKey(k jobs.Key) error {
	if len(k) != 64 || strings.Trim(string(k), "0123456789abcdef") != "" {
		return fmt.Errorf("cache: bad key %q (want 64 hex digits)", k)
	}
	return nil
}

// entrySuffix ends the name of an entry file.
const entrySuffix = ".bin"

func (c *Cache) path(kind string, k jobs.Key) string {
	return filepath.Join(c.dir, kind, string(k[:2]), string(k)+entrySuffix)
}

// An entry file is a header and the payload: the magic, the CRC-32C of
// the payload and its length (both little-endian).
const (
	magic      = "DAF\x01"
	headerSize = 4 + 4 + 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// frame returns the entry file holding data.
func frame(data []byte) []byte {
	b := make([]byte, headerSize+len(data))
	copy(b, magic)
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(data, castagnoli))
	binary.LittleEndian.PutUint64(b[8:], uint64(len(data)))
	copy(b[headerSize:], data)
	return b
}

// unframe returns the payload of an entry file, or why it is corrupt.
func unframe(b []byte) ([]byte, error) {
	if len(b) < headerSize {
		return nil, fmt.Errorf("%d bytes, shorter than the %d-byte header (a write cut short)", len(b), headerSize)
	}
	if string(b[:4]) != magic {
		return nil, fmt.Errorf("does not start with the entry header")
	}
	if n := binary.LittleEndian.Uint64(b[8:]); n != uint64(len(b)-headerSize) {
		return nil, fmt.Errorf("holds %d bytes of payload, its header says %d (a write cut short)", len(b)-headerSize, n)
	}
	data := b[headerSize:]
	if crc32.Checksum(data, castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return nil, fmt.Errorf("checksum mismatch")
	}
	return data, nil
}

// Get returns the payload of the entry kind/k: ok is false when there is
// none. An entry that fails its integrity check is a miss: it is logged
// and removed, and err stays nil.
func (c *Cache) Get(kind string, k jobs.Key) (data []byte, ok bool, err error) {
	if c == nil {
		return nil, false, nil
	}
	if err := validKind(kind); err != nil {
		return nil, false, err
	}
	if err := validKey(k); err != nil {
		return nil, false, err
	}
	b, err := os.ReadFile(c.path(kind, k))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("cache: %w", err)
	}
	data, err = unframe(b)
	if err != nil {
		c.Discard(kind, k, err)
		return nil, false, nil
	}
	return data, true, nil
}

// Discard removes the entry kind/k, which is corrupt for the reason
// given, and logs it: the caller does the work again (and keeps the new
// result). The reader of a payload calls it when the payload passes the
// integrity check but does not decode.
func (c *Cache) Discard(kind string, k jobs.Key, reason error) {
	if c == nil || validKind(kind) != nil || validKey(k) != nil {
		return
	}
	p := c.path(kind, k)
	c.log.Warn(fmt.Sprintf("cache entry %s/%s is corrupt (%v): ignored and removed, its work is done again", kind, k.Short(), reason), "file", p)
	os.Remove(p)
}

// Put stores data as the entry kind/k. The entry is written to a
// temporary file and renamed into place, so a reader sees the whole
// entry or none, but it is not flushed to disk (see the package comment:
// after a crash the integrity check on reading catches what was lost).
func (c *Cache) Put(kind string, k jobs.Key, data []byte) error {
	if c == nil {
		return nil
	}
	if err := validKind(kind); err != nil {
		return err
	}
	if err := validKey(k); err != nil {
		return err
	}
	p := c.path(kind, k)
	b := frame(data)
	err := writeEntry(p, b)
	if errors.Is(err, fs.ErrNotExist) { // the first entry of its folder
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("cache: %w (pass --no-cache to run without it)", err)
		}
		err = writeEntry(p, b)
	}
	if err != nil {
		return fmt.Errorf("cache: %w (pass --no-cache to run without it)", err)
	}
	return nil
}

// tempSeq numbers this process's temporary files; their names also hold
// the process (output.TempPattern), so that output.CleanTemps knows them.
var tempSeq atomic.Uint64

// writeEntry writes b to a temporary file next to p and renames it to p.
func writeEntry(p string, b []byte) error {
	dir, base := filepath.Split(p)
	pattern := output.TempPattern(base)
	for try := 0; ; try++ {
		tmp := dir + strings.Replace(pattern, "*", strconv.FormatUint(tempSeq.Add(1), 36), 1)
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) && try < 100 {
			continue // left by a killed process with the same id
		}
		if err != nil {
			return err
		}
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp, p)
		}
		if err != nil {
			os.Remove(tmp)
		}
		return err
	}
}

// KindStats counts the entries of one kind.
type KindStats struct {
	Kind    string `json:"kind"`
	Entries int    `json:"entries"`
	Bytes   int64  `json:"bytes"`
}

// Stats describes a store: its folder and its entries by kind (sorted).
type Stats struct {
	Dir     string      `json:"dir"`
	Entries int         `json:"entries"`
	Bytes   int64       `json:"bytes"`
	Kinds   []KindStats `json:"kinds"`
}

// Stats counts the entries (`dafscript cache stats`).
func (c *Cache) Stats() (Stats, error) {
	st := Stats{Dir: c.Dir(), Kinds: []KindStats{}}
	if c == nil {
		return st, nil
	}
	kinds, err := os.ReadDir(c.dir)
	if err != nil {
		return st, fmt.Errorf("cache: %w", err)
	}
	for _, kd := range kinds {
		if !kd.IsDir() || validKind(kd.Name()) != nil {
			continue
		}
		ks := KindStats{Kind: kd.Name()}
		err := filepath.WalkDir(filepath.Join(c.dir, kd.Name()), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			// Every file but temporaries: entries, and those of older
			// formats (.json), which no build reads but which take room
			// until cleared.
			if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			ks.Entries++
			ks.Bytes += info.Size()
			return nil
		})
		if err != nil {
			return st, fmt.Errorf("cache: %w", err)
		}
		st.Kinds = append(st.Kinds, ks)
		st.Entries += ks.Entries
		st.Bytes += ks.Bytes
	}
	sort.Slice(st.Kinds, func(i, j int) bool { return st.Kinds[i].Kind < st.Kinds[j].Kind })
	return st, nil
}

// Clear removes every entry of the given kinds (all kinds when none are
// given) and returns what was removed (`dafscript cache clear`).
func (c *Cache) Clear(kinds ...string) (Stats, error) {
	st, err := c.Stats()
	if err != nil || c == nil {
		return st, err
	}
	removed := Stats{Dir: st.Dir, Kinds: []KindStats{}}
	for _, ks := range st.Kinds {
		if len(kinds) > 0 && !contains(kinds, ks.Kind) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(c.dir, ks.Kind)); err != nil {
			return removed, fmt.Errorf("cache: %w", err)
		}
		removed.Kinds = append(removed.Kinds, ks)
		removed.Entries += ks.Entries
		removed.Bytes += ks.Bytes
	}
	return removed, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
