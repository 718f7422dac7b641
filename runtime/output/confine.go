package output

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteRules say where a script may write a file it names itself (the
// path= argument of daf.export_html, say). Scripts have no other file
// access: everything else they produce goes into a session folder.
type WriteRules struct {
	// Out is the output root (--out). Relative paths are resolved
	// against it, and anything under it may be written.
	Out string
	// Allow are further directories the user opened with --allow-write.
	Allow []string
	// Protected are files that are never overwritten, wherever they
	// are: the script being run and every file it loaded.
	Protected []string
}

// ResolveWrite turns a path a script gave into the absolute path to write,
// or explains why it may not be written: it must lie under r.Out or a
// directory of r.Allow (after following symbolic links, so that a link
// cannot lead out), and must not be one of r.Protected.
func ResolveWrite(userPath string, r WriteRules) (string, error) {
	if userPath == "" {
		return "", fmt.Errorf("path is empty, want a file name such as \"report.html\"")
	}
	if r.Out == "" {
		return "", fmt.Errorf("path %q: no output folder to write into", userPath)
	}
	out, err := filepath.Abs(r.Out)
	if err != nil {
		return "", fmt.Errorf("path %q: %w", userPath, err)
	}
	p := filepath.FromSlash(userPath)
	if !filepath.IsAbs(p) {
		p = filepath.Join(out, p)
	}
	p = filepath.Clean(p)
	real := realPath(p)
	if fi, err := os.Stat(real); err == nil && fi.IsDir() {
		return "", fmt.Errorf("path %q: %s is a directory, want a file name", userPath, p)
	}
	for _, f := range r.Protected {
		if f == "" {
			continue
		}
		if a, err := filepath.Abs(f); err == nil && realPath(a) == real {
			return "", fmt.Errorf("path %q: %s is the script or a file it loaded; a script never overwrites its own source", userPath, p)
		}
	}
	roots := append([]string{out}, r.Allow...)
	for _, root := range roots {
		if a, err := filepath.Abs(root); err == nil && under(realPath(a), real) {
			return p, nil
		}
	}
	allowed := out
	if len(r.Allow) > 0 {
		allowed += " (or " + strings.Join(r.Allow, ", ") + ")"
	}
	return "", fmt.Errorf("path %q: %s is outside the output folder %s; scripts write only there (a relative path is relative to it), unless the command line opens another directory with --allow-write DIR", userPath, p, allowed)
}

// Within reports whether p is root or below it once the symbolic links
// of both are followed, so that a link cannot lead out of root. The
// builtins use it for the files a script reads (interp's load() and
// sim/maps keep their own, their layers importing nothing of runtime/).
func Within(root, p string) bool { return under(realPath(root), realPath(p)) }

// realPath follows the symbolic links of p, or of its nearest existing
// parent when p does not exist yet.
func realPath(p string) string {
	rest := ""
	for cur := p; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// under reports whether p is root or below it.
func under(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
