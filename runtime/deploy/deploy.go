package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/pkg"
	"github.com/dafscript/dafscript/runtime/registry"
)

// Options configures Deploy (daf.deploy, dafscript deploy).
type Options struct {
	Package string // the .dafpkg file
	// Registry is the registry folder; created when missing or empty.
	// Empty means DefaultRegistry of the output root (Operation fills it
	// in; Deploy itself needs a folder).
	Registry string
	// Gate is the validation run first; its Package is set to Package.
	// With no missions the gate checks the hashes and that it loads.
	Gate ValidateOptions
	// Force deploys a package that fails the gate (never one that does not
	// read: a package whose hashes do not match is refused regardless).
	Force bool
}

// Check is the only validation of deploy options.
func (o Options) Check() error {
	if o.Package == "" {
		return errors.New("package: no .dafpkg file given")
	}
	g := o.Gate
	g.Package = o.Package
	return g.Check()
}

// Result is what Deploy did.
type Result struct {
	Registry   string            `json:"registry"`
	Name       string            `json:"name"`
	Version    string            `json:"version"`
	SHA256     string            `json:"sha256"`
	Current    registry.Pointer  `json:"current"`
	Forced     bool              `json:"forced"` // deployed although the gate failed
	Validation *ValidationResult `json:"validation"`
}

// GateError is a deploy refused by the gate; Result holds its reasons.
type GateError struct {
	Result *ValidationResult
}

func (e *GateError) Error() string {
	return fmt.Sprintf("package %s failed validation, not deployed (force=True in a script, --force on the command line, deploys it anyway): %s",
		e.Result.Package, strings.Join(e.Result.Reasons, "; "))
}

// Deploy validates the package, then stores it in the registry as
// name/version and makes it current. The bytes installed are the ones
// validated (same sha256). The registry folder is written whatever the
// session; with a session, validation.json and deploy.json are recorded
// there.
func Deploy(ctx context.Context, sess *output.Session, o Options) (*Result, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	o.Gate.Package = o.Package
	reg, err := registry.Open(o.Registry, true)
	if err != nil {
		return nil, err
	}
	v, err := Validate(ctx, sess, o.Gate)
	if err != nil {
		return nil, err
	}
	if !v.Passed && (!o.Force || v.SHA256 == "") {
		return nil, &GateError{Result: v}
	}
	data, err := os.ReadFile(o.Package)
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", o.Package, err)
	}
	p, err := pkg.Read(bytes.NewReader(data), pkg.DefaultLimits)
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", o.Package, err)
	}
	if p.SHA256 != v.SHA256 {
		return nil, fmt.Errorf("package %s changed while it was being validated; deploy again", o.Package)
	}
	ptr, err := reg.Install(data, &p.Manifest)
	if err != nil {
		return nil, err
	}
	res := &Result{Registry: reg.Dir, Name: p.Manifest.Name, Version: p.Manifest.Version, SHA256: p.SHA256,
		Current: ptr, Forced: !v.Passed, Validation: v}
	if sess != nil {
		if _, err := sess.WriteJSON("deploy.json", res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// RollbackOptions configures Rollback.
type RollbackOptions struct {
	// Registry is the registry folder; empty means DefaultRegistry of the
	// output root (RollbackOperation fills it in).
	Registry string
	Name     string
}

// Check is the only validation of rollback options.
func (o RollbackOptions) Check() error {
	return pkg.CheckName("name", o.Name)
}

// RollbackResult is what Rollback did: Current is name's pointer after it.
type RollbackResult struct {
	Registry string           `json:"registry"`
	Name     string           `json:"name"`
	Current  registry.Pointer `json:"current"`
}

// Rollback makes the previous version of Name current again; with a
// session, the result is recorded there as rollback.json.
func Rollback(ctx context.Context, sess *output.Session, o RollbackOptions) (*RollbackResult, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	reg, err := registry.Open(o.Registry, false)
	if err != nil {
		return nil, err
	}
	p, err := reg.Rollback(o.Name)
	if err != nil {
		return nil, err
	}
	res := &RollbackResult{Registry: reg.Dir, Name: o.Name, Current: p}
	if sess != nil {
		if _, err := sess.WriteJSON("rollback.json", res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Listing is the content of a registry (daf.registry, dafscript
// registry): every deployed policy, by name.
type Listing struct {
	Registry string           `json:"registry"`
	Policies []registry.Entry `json:"policies"`
}

// List describes every policy of the registry at dir (daf.registry).
func List(ctx context.Context, dir string) (*Listing, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	reg, err := registry.Open(dir, false)
	if err != nil {
		return nil, err
	}
	es, err := reg.List()
	if err != nil {
		return nil, err
	}
	return &Listing{Registry: reg.Dir, Policies: es}, nil
}

// WriteText writes the listing as a table: one line per policy with its
// current version and every version deployed.
func (l *Listing) WriteText(w io.Writer) error {
	if len(l.Policies) == 0 {
		_, err := fmt.Fprintf(w, "registry %s: no policy deployed\n", l.Registry)
		return err
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
	)
	t.Header("policy", "current", "versions", "history (newest first)")
	for _, e := range l.Policies {
		hist := strings.Join(e.History, ", ")
		if hist == "" {
			hist = "-"
		}
		t.Append([]string{e.Name, e.Current, strings.Join(e.Versions, ", "), hist})
	}
	fmt.Fprintf(w, "Registry %s\n\n", l.Registry)
	return t.Render()
}
