package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/dafscript/dafscript/runtime/envcheck"
	"github.com/dafscript/dafscript/runtime/train/torch"
)

var registerOnce sync.Once

// Register adds what training provides to the program's shared tables:
// the neural policy classes and the training backend's environment probe
// and devices. It is called in one place, the CLI's wiring (and by tests
// that need them); it loads nothing, so start-up stays free of libtorch.
func Register() {
	registerOnce.Do(func() {
		torch.RegisterPolicies()
		envcheck.RegisterProbe("training", Probe)
		envcheck.RegisterDevices("libtorch", func() []string {
			if n := torch.CUDADevices(); n > 0 {
				return []string{"cuda:0"}
			}
			return nil
		})
	})
}

// Probe reports the training backend: the libtorch it loads (loading it,
// the only time a check does), the BLAS it computes with, its threads and
// its devices.
func Probe() []envcheck.Check {
	if err := torch.Load(); err != nil {
		c := envcheck.Check{Name: "libtorch", Status: envcheck.Fail, Detail: err.Error()}
		var le *torch.LoadError
		if errors.As(err, &le) {
			c.Detail, c.Recommendation = le.What, le.Fix
		}
		return []envcheck.Check{c}
	}
	info := strings.Split(strings.TrimSpace(torch.Info()), "\n")
	var detail []string
	for _, l := range info {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "libtorch ") || strings.HasPrefix(l, "ATen parallel backend") ||
			strings.HasPrefix(l, "at::get_num_threads") {
			detail = append(detail, l)
		}
	}
	if os.Getenv(torch.LibEnv) != "" {
		detail = append(detail, "backend "+torch.LoadedFrom()+" (from "+torch.LibEnv+")")
	}
	checks := []envcheck.Check{{Name: "libtorch", Status: envcheck.OK, Detail: strings.Join(detail, "; ")}}
	blas, kind := BLAS()
	bc := envcheck.Check{Name: "blas", Status: envcheck.OK, Detail: blas}
	switch kind {
	case "reference":
		bc.Status = envcheck.Warn
		bc.Recommendation = "the reference BLAS makes training about 8x slower: apt-get install libopenblas0-openmp (or update-alternatives --config libblas.so.3-x86_64-linux-gnu)"
	case "unknown":
		bc.Status = envcheck.Warn
		bc.Recommendation = "could not tell which BLAS libtorch uses"
	}
	checks = append(checks, bc)
	checks = append(checks, envcheck.Check{Name: "training threads", Status: envcheck.OK,
		Detail: fmt.Sprintf("%d cores; daf.train uses all of them unless hyperparameters={\"threads\": N}", runtime.NumCPU())})
	dev := envcheck.Check{Name: "training device", Status: envcheck.OK, Detail: "cpu (libtorch sees no CUDA device)"}
	if n := torch.CUDADevices(); n > 0 {
		dev.Detail = fmt.Sprintf("cuda: %d device(s)", n)
	}
	return append(checks, dev)
}

// BLAS names the BLAS library this process computes with, read from
// /proc/self/maps (or, failing that, the libblas.so.3 alternative), and
// classifies it: "openblas", "mkl", "reference", or "unknown".
func BLAS() (path, kind string) {
	if data, err := os.ReadFile("/proc/self/maps"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Fields(line)
			if len(f) < 6 {
				continue
			}
			p := f[len(f)-1]
			b := filepath.Base(p)
			if strings.Contains(b, "openblas") || strings.Contains(b, "libblas") || strings.Contains(b, "mkl_core") || strings.Contains(b, "blis") {
				return p, classifyBLAS(p)
			}
		}
	}
	for _, link := range []string{"/etc/alternatives/libblas.so.3-x86_64-linux-gnu", "/etc/alternatives/libblas.so.3-aarch64-linux-gnu"} {
		if p, err := filepath.EvalSymlinks(link); err == nil {
			return p, classifyBLAS(p)
		}
	}
	return "not found", "unknown"
}

func classifyBLAS(p string) string {
	switch {
	case strings.Contains(p, "openblas"):
		return "openblas"
	case strings.Contains(p, "mkl"):
		return "mkl"
	case strings.Contains(p, "blis"):
		return "blis"
	case strings.Contains(p, "/blas/") || strings.HasSuffix(filepath.Dir(p), "x86_64-linux-gnu") || strings.HasSuffix(filepath.Dir(p), "aarch64-linux-gnu"):
		return "reference"
	}
	return "unknown"
}
