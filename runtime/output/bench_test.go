package output

import (
	"os"
	"path/filepath"
	"testing"
)

// Baseline: a plain, non-atomic os.WriteFile of the same 64 KiB.
func BenchmarkWriteFilePlain(b *testing.B) {
	p := filepath.Join(b.TempDir(), "f.json")
	data := make([]byte, 64<<10)
	for b.Loop() {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteFileAtomic(b *testing.B) {
	p := filepath.Join(b.TempDir(), "f.json")
	data := make([]byte, 64<<10)
	for b.Loop() {
		if err := WriteFileAtomic(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSessionWriteJSON(b *testing.B) {
	s, err := NewManager(b.TempDir()).NewSession("comparisons", RunInfo{})
	if err != nil {
		b.Fatal(err)
	}
	v := map[string][]float64{"rewards": make([]float64, 1000)}
	for b.Loop() {
		if _, err := s.WriteJSON("r.json", v); err != nil {
			b.Fatal(err)
		}
	}
}
