package envcheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const meminfoOK = `MemTotal:       16384000 kB
MemFree:         1000000 kB
MemAvailable:    8192000 kB
Buffers:          100000 kB
`

// fake returns Options whose system calls are all fakes, with free bytes
// at the output folder.
func fake(t *testing.T, free uint64) Options {
	dir := t.TempDir()
	return Options{
		OutDir:   filepath.Join(dir, "out"),
		Missions: []string{"training_facility_1"},
		Version:  "v1.2.3",
		NumCPU:   func() int { return 8 },
		GOOS:     "linux",
		ReadFile: func(name string) ([]byte, error) {
			if name != "/proc/meminfo" {
				t.Errorf("read %s", name)
			}
			return []byte(meminfoOK), nil
		},
		Statfs:     func(string) (uint64, uint64, error) { return free, 500 * GiB, nil },
		WriteProbe: func(string) error { return nil },
	}
}

func find(r *Result, name string) Check {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return Check{}
}

func TestHealthy(t *testing.T) {
	r := Run(fake(t, 100*GiB))
	if !r.IsHealthy() || len(r.Errors) != 0 || len(r.Warnings) != 0 {
		t.Fatalf("unhealthy: %+v", r)
	}
	for name, want := range map[string]string{
		"cpu":       "8 logical CPUs",
		"memory":    "7.8 GiB available of 15.6 GiB",
		"disk":      "100.0 GiB free of 500.0 GiB",
		"missions":  "training_facility_1 load",
		"dafscript": "v1.2.3",
		"go":        "go1.",
	} {
		c := find(r, name)
		if c.Status != OK || !strings.Contains(c.Detail, want) {
			t.Errorf("%s: %+v, want ok and %q", name, c, want)
		}
	}
	if c := find(r, "output dir"); !strings.Contains(c.Detail, "does not exist yet") {
		t.Errorf("output dir: %+v", c)
	}
	if r.Device != "cpu" {
		t.Errorf("device %q", r.Device)
	}
}

func TestDiskAndWrite(t *testing.T) {
	for _, tc := range []struct {
		name    string
		free    uint64
		probe   error
		status  Status
		healthy bool
		detail  string
	}{
		{name: "plenty", free: 50 * GiB, status: OK, healthy: true},
		{name: "low", free: 3 * GiB, status: Warn, healthy: true, detail: "3.0 GiB free of 500.0 GiB"},
		{name: "just under", free: 10*GiB - 1, status: Warn, healthy: true},
		{name: "exactly 10", free: 10 * GiB, status: OK, healthy: true},
		{name: "almost none", free: 5 << 20, status: Fail, healthy: false, detail: "5.0 MiB free"},
		{name: "read-only", free: 50 * GiB, probe: fs.ErrPermission, status: OK, healthy: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := fake(t, tc.free)
			o.WriteProbe = func(string) error { return tc.probe }
			r := Run(o)
			d := find(r, "disk")
			if d.Status != tc.status || !strings.Contains(d.Detail, tc.detail) {
				t.Errorf("disk: %+v, want %s with %q", d, tc.status, tc.detail)
			}
			if r.Healthy != tc.healthy {
				t.Errorf("healthy %v, want %v: %+v", r.Healthy, tc.healthy, r)
			}
			if tc.status == Warn && (len(r.Warnings) != 1 || !strings.HasPrefix(r.Warnings[0], "disk: ") || len(r.Recommendations) != 1) {
				t.Errorf("warnings %q, recommendations %q", r.Warnings, r.Recommendations)
			}
			if tc.probe != nil {
				w := find(r, "output dir")
				if w.Status != Fail || !strings.Contains(w.Detail, "permission denied") || w.Recommendation == "" {
					t.Errorf("output dir: %+v", w)
				}
			}
		})
	}
}

func TestOutputDir(t *testing.T) {
	o := fake(t, 50*GiB)
	// The folder exists: probed there.
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var probed, statted string
	o.WriteProbe = func(dir string) error { probed = dir; return nil }
	o.Statfs = func(p string) (uint64, uint64, error) { statted = p; return 50 * GiB, 100 * GiB, nil }
	r := Run(o)
	if probed != o.OutDir || statted != o.OutDir || find(r, "output dir").Detail != o.OutDir+" is writable" {
		t.Errorf("probed %q, statted %q, check %+v", probed, statted, find(r, "output dir"))
	}
	// A file in the way fails.
	o2 := fake(t, 50*GiB)
	if err := os.WriteFile(o2.OutDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r = Run(o2)
	if c := find(r, "output dir"); c.Status != Fail || !strings.Contains(c.Detail, "is not a directory") || r.Healthy {
		t.Errorf("file as output dir: %+v", c)
	}
	// The real probe writes and removes a file.
	dir := t.TempDir()
	if err := writeProbe(dir); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("writeProbe left %v", entries)
	}
	if err := writeProbe(filepath.Join(dir, "missing")); err == nil {
		t.Error("writeProbe of a missing folder: no error")
	}
	// The real statfs answers for an existing folder.
	if free, total, err := statfs(dir); err != nil || total == 0 || free > total {
		t.Errorf("statfs(%s) = %d, %d, %v", dir, free, total, err)
	}
}

func TestMemory(t *testing.T) {
	for _, tc := range []struct {
		name, goos, meminfo string
		readErr             error
		status              Status
		detail              string
	}{
		{name: "ok", goos: "linux", meminfo: meminfoOK, status: OK, detail: "7.8 GiB available of 15.6 GiB"},
		{name: "low", goos: "linux", meminfo: "MemTotal: 4000000 kB\nMemAvailable: 500000 kB\n", status: Warn, detail: "488.3 MiB available of 3.8 GiB"},
		{name: "old kernel", goos: "linux", meminfo: "MemTotal: 4000000 kB\nMemFree: 500000 kB\n", status: OK, detail: "3.8 GiB total"},
		{name: "garbage", goos: "linux", meminfo: "nonsense", status: OK, detail: "unknown: /proc/meminfo has no MemTotal"},
		{name: "unreadable", goos: "linux", readErr: fs.ErrNotExist, status: OK, detail: "unknown: file does not exist"},
		{name: "darwin", goos: "darwin", status: OK, detail: "unknown (only read on Linux)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := fake(t, 50*GiB)
			o.GOOS = tc.goos
			o.ReadFile = func(string) ([]byte, error) {
				if tc.goos != "linux" {
					t.Error("read /proc on " + tc.goos)
				}
				return []byte(tc.meminfo), tc.readErr
			}
			c := find(Run(o), "memory")
			if c.Status != tc.status || c.Detail != tc.detail {
				t.Errorf("memory: %+v, want %s %q", c, tc.status, tc.detail)
			}
		})
	}
}

func TestCPU(t *testing.T) {
	o := fake(t, 50*GiB)
	o.NumCPU = func() int { return 1 }
	if c := find(Run(o), "cpu"); c.Status != Warn || c.Recommendation == "" {
		t.Errorf("one CPU: %+v", c)
	}
}

func TestMissions(t *testing.T) {
	o := fake(t, 50*GiB)
	o.Missions = []string{"training_facility_1", "traning_facility_2", "training_facility_1+no_such_variant"}
	r := Run(o)
	if r.Healthy || len(r.Errors) != 2 {
		t.Fatalf("errors %q", r.Errors)
	}
	if !strings.Contains(r.Errors[0], `mission traning_facility_2: unknown mission "traning_facility_2" (did you mean training_facility_2`) {
		t.Errorf("error %q", r.Errors[0])
	}
	if !strings.Contains(r.Errors[1], "no_such_variant") {
		t.Errorf("error %q", r.Errors[1])
	}
	o.Missions = nil
	if c := find(Run(o), "missions"); c.Status != OK || !strings.HasPrefix(c.Detail, "all ") {
		t.Errorf("all missions: %+v", c)
	}
	o.Missions = []string{}
	if c := find(Run(o), "missions"); c.Status != Fail {
		t.Errorf("no missions: %+v", c)
	}
}

func TestProbes(t *testing.T) {
	t.Cleanup(func() {
		probeMu.Lock()
		delete(probes, "ztest")
		delete(probes, "zpanic")
		delete(deviceProbes, "ztest")
		probeMu.Unlock()
	})
	o := fake(t, 50*GiB)
	before := len(Run(o).Checks)
	RegisterProbe("ztest", func() []Check {
		return []Check{{Name: "libtorch", Status: OK, Detail: "2.5.0"}, {Name: "blas", Status: Warn, Detail: "reference BLAS", Recommendation: "install OpenBLAS"}}
	})
	RegisterProbe("zpanic", func() []Check { panic("boom") })
	RegisterDevices("ztest", func() []string { return []string{"cuda:0", "cuda:1", "cpu"} })
	r := Run(o)
	if c := find(r, "libtorch"); c.Detail != "2.5.0" {
		t.Errorf("probe check missing: %+v", r.Checks)
	}
	if c := find(r, "zpanic"); c.Status != Fail || !strings.Contains(c.Detail, "boom") {
		t.Errorf("panicking probe: %+v", c)
	}
	if len(r.Checks) != before+3 {
		t.Errorf("%d checks with probes, %d without", len(r.Checks), before)
	}
	if r.Device != "cuda:0" || RecommendedDevice() != "cuda:0" {
		t.Errorf("device %q", r.Device)
	}
	if got := strings.Join(Devices(), ","); got != "cuda:0,cuda:1,cpu" {
		t.Errorf("Devices() = %s", got)
	}
	if len(r.Recommendations) != 1 || r.Recommendations[0] != "install OpenBLAS" {
		t.Errorf("recommendations %q", r.Recommendations)
	}
	// Probes run in name order after the built-in checks.
	var names []string
	for _, c := range r.Checks {
		names = append(names, c.Name)
	}
	if got := strings.Join(names[len(names)-3:], ","); got != "zpanic,libtorch,blas" {
		t.Errorf("probe order: %s", got)
	}
}

func TestMeminfo(t *testing.T) {
	for _, tc := range []struct {
		in   string
		key  string
		want uint64
		ok   bool
	}{
		{"MemTotal: 10 kB\n", "MemTotal", 10240, true},
		{"MemTotal: 10\n", "MemTotal", 10, true},
		{"MemTotalX: 10 kB\n", "MemTotal", 0, false},
		{"MemTotal:\n", "MemTotal", 0, false},
		{"MemTotal: x kB\n", "MemTotal", 0, false},
	} {
		got, ok := meminfo([]byte(tc.in), tc.key)
		if got != tc.want || ok != tc.ok {
			t.Errorf("meminfo(%q) = %d, %v", tc.in, got, ok)
		}
	}
}
