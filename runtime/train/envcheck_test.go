package train

import (
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/envcheck"
	"github.com/dafscript/dafscript/runtime/train/torch"
)

func TestProbe(t *testing.T) {
	checks := Probe()
	if err := torch.Load(); err != nil {
		if len(checks) != 1 || checks[0].Status != envcheck.Fail || checks[0].Recommendation == "" {
			t.Fatalf("without the training backend: %+v", checks)
		}
		if torch.Available {
			t.Fatal(err) // a cgo build must have its backend: make builds it
		}
		return
	}
	byName := map[string]envcheck.Check{}
	for _, c := range checks {
		byName[c.Name] = c
	}
	if c := byName["libtorch"]; !strings.Contains(c.Detail, "libtorch 1.") && !strings.Contains(c.Detail, "libtorch 2.") {
		t.Errorf("libtorch check %+v", c)
	}
	if c, ok := byName["blas"]; !ok || c.Detail == "" {
		t.Errorf("blas check %+v", c)
	}
	for _, tc := range []struct{ path, kind string }{
		{"/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3", "openblas"},
		{"/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", "reference"},
		{"/opt/intel/mkl/lib/libmkl_core.so", "mkl"},
	} {
		if got := classifyBLAS(tc.path); got != tc.kind {
			t.Errorf("classifyBLAS(%s) = %s, want %s", tc.path, got, tc.kind)
		}
	}
}
