// Package envcheck runs the pre-flight checks of dafscript: CPUs, memory,
// free disk and write access at the output folder, missions that load,
// the Go and dafscript versions, and whatever other packages report
// through probes (the training backend: libtorch, BLAS, devices).
package envcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
)

// Status is the outcome of one check.
type Status string

const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Check is one line of the report. Recommendation, if any, says what to do
// about a warning or a failure.
type Check struct {
	Name           string `json:"name"`
	Status         Status `json:"status"`
	Detail         string `json:"detail"`
	Recommendation string `json:"recommendation,omitempty"`
}

// Result is the whole report. Healthy is false when any check failed;
// warnings do not make it unhealthy.
type Result struct {
	Checks          []Check  `json:"checks"`
	Warnings        []string `json:"warnings"`
	Errors          []string `json:"errors"`
	Recommendations []string `json:"recommendations"`
	Healthy         bool     `json:"healthy"`
	Device          string   `json:"device"` // the recommended compute device
}

// IsHealthy reports whether no check failed.
func (r *Result) IsHealthy() bool { return r.Healthy }

// GiB is 2**30 bytes.
const GiB = 1 << 30

// Options says what to check. The function fields replace the real system
// in tests; nil means the real one.
type Options struct {
	OutDir   string   // where results will be written ("daf_output" if empty)
	Missions []string // nil: every base mission
	Version  string   // dafscript's version

	MinFreeDisk  uint64 // warn below this many free bytes (default 10 GiB)
	FailFreeDisk uint64 // fail below this (default 200 MiB)
	MinAvailMem  uint64 // warn below this much available memory (default 2 GiB)

	NumCPU   func() int
	GOOS     string
	ReadFile func(name string) ([]byte, error)
	// Statfs returns the free (available to us) and total bytes of the
	// file system holding path.
	Statfs func(path string) (free, total uint64, err error)
	// WriteProbe checks that dir accepts a new file (create and remove a
	// temporary one).
	WriteProbe func(dir string) error
	Stat       func(name string) (os.FileInfo, error)
}

func (o *Options) defaults() {
	if o.OutDir == "" {
		o.OutDir = "daf_output"
	}
	if o.MinFreeDisk == 0 {
		o.MinFreeDisk = 10 * GiB
	}
	if o.FailFreeDisk == 0 {
		o.FailFreeDisk = 200 << 20
	}
	if o.MinAvailMem == 0 {
		o.MinAvailMem = 2 * GiB
	}
	if o.NumCPU == nil {
		o.NumCPU = runtime.NumCPU
	}
	if o.GOOS == "" {
		o.GOOS = runtime.GOOS
	}
	if o.ReadFile == nil {
		o.ReadFile = os.ReadFile
	}
	if o.Statfs == nil {
		o.Statfs = statfs
	}
	if o.WriteProbe == nil {
		o.WriteProbe = writeProbe
	}
	if o.Stat == nil {
		o.Stat = os.Stat
	}
}

// Probe reports checks of another package (the training backend
// registers one from init()). It must be quick and must not print.
type Probe func() []Check

// DeviceProbe lists the compute devices a backend can use, best first,
// e.g. ["cuda:0", "cpu"].
type DeviceProbe func() []string

var (
	probeMu      sync.Mutex
	probes       = map[string]Probe{}
	deviceProbes = map[string]DeviceProbe{}
)

// RegisterProbe adds checks that Run reports after its own, in order of
// name. Registering a name twice replaces the probe.
func RegisterProbe(name string, fn Probe) {
	probeMu.Lock()
	defer probeMu.Unlock()
	probes[name] = fn
}

// RegisterDevices adds a source of compute devices for RecommendedDevice.
func RegisterDevices(name string, fn DeviceProbe) {
	probeMu.Lock()
	defer probeMu.Unlock()
	deviceProbes[name] = fn
}

// Devices lists every device the registered backends report, in order of
// backend name, then as each reports them; "cpu" is always last.
func Devices() []string {
	probeMu.Lock()
	names := make([]string, 0, len(deviceProbes))
	for n := range deviceProbes {
		names = append(names, n)
	}
	sort.Strings(names)
	fns := make([]DeviceProbe, len(names))
	for i, n := range names {
		fns[i] = deviceProbes[n]
	}
	probeMu.Unlock()
	var out []string
	seen := map[string]bool{"cpu": true}
	for _, fn := range fns {
		for _, d := range safeDevices(fn) {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	return append(out, "cpu")
}

func safeDevices(fn DeviceProbe) (ds []string) {
	defer func() {
		if recover() != nil {
			ds = nil
		}
	}()
	return fn()
}

// RecommendedDevice is the first CUDA device a backend reports ("cuda:0"),
// else "cpu".
func RecommendedDevice() string {
	for _, d := range Devices() {
		if d == "cuda" || strings.HasPrefix(d, "cuda:") {
			return d
		}
	}
	return "cpu"
}

// Run performs every check.
func Run(opts Options) *Result {
	opts.defaults()
	var checks []Check
	checks = append(checks, checkCPU(&opts))
	checks = append(checks, checkMemory(&opts))
	checks = append(checks, checkDisk(&opts)...)
	checks = append(checks, checkMissions(&opts)...)
	checks = append(checks,
		Check{Name: "go", Status: OK, Detail: fmt.Sprintf("%s %s/%s", runtime.Version(), opts.GOOS, runtime.GOARCH)},
		checkVersion(opts.Version),
	)
	checks = append(checks, runProbes()...)
	return newResult(checks)
}

func newResult(checks []Check) *Result {
	r := &Result{Checks: checks, Warnings: []string{}, Errors: []string{}, Recommendations: []string{}, Healthy: true}
	seen := map[string]bool{}
	for _, c := range checks {
		switch c.Status {
		case Warn:
			r.Warnings = append(r.Warnings, c.Name+": "+c.Detail)
		case Fail:
			r.Errors = append(r.Errors, c.Name+": "+c.Detail)
			r.Healthy = false
		}
		if c.Recommendation != "" && !seen[c.Recommendation] {
			seen[c.Recommendation] = true
			r.Recommendations = append(r.Recommendations, c.Recommendation)
		}
	}
	r.Device = RecommendedDevice()
	return r
}

func checkCPU(o *Options) Check {
	n := o.NumCPU()
	procs := runtime.GOMAXPROCS(0)
	c := Check{Name: "cpu", Status: OK, Detail: fmt.Sprintf("%d logical CPUs, GOMAXPROCS %d", n, procs)}
	if n < 2 {
		c.Status = Warn
		c.Recommendation = "with one CPU, episodes run one at a time; keep --jobs 1"
	}
	return c
}

func checkMemory(o *Options) Check {
	c := Check{Name: "memory", Status: OK}
	if o.GOOS != "linux" {
		c.Detail = "unknown (only read on Linux)"
		return c
	}
	data, err := o.ReadFile("/proc/meminfo")
	if err != nil {
		c.Detail = "unknown: " + err.Error()
		return c
	}
	total, okT := meminfo(data, "MemTotal")
	avail, okA := meminfo(data, "MemAvailable")
	if !okT {
		c.Detail = "unknown: /proc/meminfo has no MemTotal"
		return c
	}
	if !okA {
		c.Detail = fmt.Sprintf("%s total", bytesText(total))
		return c
	}
	c.Detail = fmt.Sprintf("%s available of %s", bytesText(avail), bytesText(total))
	if avail < o.MinAvailMem {
		c.Status = Warn
		c.Recommendation = fmt.Sprintf("less than %s of memory is free: lower --jobs and the number of parallel environments", bytesText(o.MinAvailMem))
	}
	return c
}

// meminfo reads "Key:   123 kB" from /proc/meminfo, in bytes.
func meminfo(data []byte, key string) (uint64, bool) {
	for _, line := range strings.Split(string(data), "\n") {
		k, rest, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) != key {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, false
		}
		v, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, false
		}
		if len(f) > 1 && strings.EqualFold(f[1], "kB") {
			v *= 1024
		}
		return v, true
	}
	return 0, false
}

// checkDisk looks at the output folder, or at its nearest existing parent
// when it does not exist yet (it is not created by a check).
func checkDisk(o *Options) []Check {
	dir, err := filepath.Abs(o.OutDir)
	if err != nil {
		dir = o.OutDir
	}
	existing := dir
	for {
		fi, err := o.Stat(existing)
		if err == nil {
			if !fi.IsDir() {
				return []Check{{Name: "output dir", Status: Fail, Detail: existing + " exists and is not a directory",
					Recommendation: "choose another output folder with --out"}}
			}
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			break
		}
		existing = parent
	}
	var out []Check
	w := Check{Name: "output dir", Status: OK, Detail: dir + " is writable"}
	if existing != dir {
		w.Detail = fmt.Sprintf("%s does not exist yet; %s is writable", dir, existing)
	}
	if err := o.WriteProbe(existing); err != nil {
		w.Status = Fail
		w.Detail = fmt.Sprintf("cannot write in %s: %v", existing, err)
		w.Recommendation = "choose a writable output folder with --out"
	}
	out = append(out, w)

	d := Check{Name: "disk", Status: OK}
	free, total, err := o.Statfs(existing)
	switch {
	case err != nil:
		d.Detail = "free space unknown: " + err.Error()
	case free < o.FailFreeDisk:
		d.Status = Fail
		d.Detail = fmt.Sprintf("%s free of %s at %s", bytesText(free), bytesText(total), existing)
		d.Recommendation = "free disk space or choose another output folder with --out"
	case free < o.MinFreeDisk:
		d.Status = Warn
		d.Detail = fmt.Sprintf("%s free of %s at %s (less than %s)", bytesText(free), bytesText(total), existing, bytesText(o.MinFreeDisk))
		d.Recommendation = "free disk space or choose another output folder with --out: checkpoints and logs of training runs need several GB"
	default:
		d.Detail = fmt.Sprintf("%s free of %s at %s", bytesText(free), bytesText(total), existing)
	}
	return append(out, d)
}

func writeProbe(dir string) error {
	f, err := os.CreateTemp(dir, ".dafscript-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	_, werr := f.Write([]byte("ok"))
	cerr := f.Close()
	rerr := os.Remove(name)
	for _, e := range []error{werr, cerr, rerr} {
		if e != nil {
			return e
		}
	}
	return nil
}

// checkMissions builds each mission's game once (seed 0) and creates its
// environment, which validates the whole configuration.
func checkMissions(o *Options) []Check {
	names := o.Missions
	all := names == nil
	if all {
		names = mission.Names()
	}
	var out []Check
	var loaded []string
	for _, name := range names {
		if err := loadMission(name); err != nil {
			out = append(out, Check{Name: "mission " + name, Status: Fail, Detail: err.Error(),
				Recommendation: "fix the mission names (dafscript missions lists them)"})
			continue
		}
		loaded = append(loaded, name)
	}
	if len(out) > 0 {
		return out // one failed check per mission that does not load
	}
	c := Check{Name: "missions", Status: OK}
	switch {
	case len(names) == 0:
		c.Status = Fail
		c.Detail = "no missions to check"
	case all:
		c.Detail = fmt.Sprintf("all %d missions load", len(loaded))
	default:
		c.Detail = strings.Join(loaded, ", ") + " load"
	}
	return []Check{c}
}

func loadMission(name string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	m, err := mission.Get(name)
	if err != nil {
		return err
	}
	cfg, err := m.Build(0)
	if err != nil {
		return err
	}
	_, err = sim.NewEnv(cfg, 0)
	return err
}

func checkVersion(v string) Check {
	if v == "" {
		v = "(development build)"
	}
	return Check{Name: "dafscript", Status: OK, Detail: v}
}

// runProbes calls the registered probes in name order; a probe that
// panics fails its own check and nothing else.
func runProbes() []Check {
	probeMu.Lock()
	names := make([]string, 0, len(probes))
	for n := range probes {
		names = append(names, n)
	}
	sort.Strings(names)
	fns := make([]Probe, len(names))
	for i, n := range names {
		fns[i] = probes[n]
	}
	probeMu.Unlock()
	var out []Check
	for i, fn := range fns {
		out = append(out, safeProbe(names[i], fn)...)
	}
	return out
}

func safeProbe(name string, fn Probe) (cs []Check) {
	defer func() {
		if r := recover(); r != nil {
			cs = []Check{{Name: name, Status: Fail, Detail: fmt.Sprintf("probe failed: %v", r)}}
		}
	}()
	return fn()
}

func bytesText(b uint64) string {
	switch {
	case b >= GiB:
		return fmt.Sprintf("%.1f GiB", float64(b)/GiB)
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", b)
}
