package deploy

import (
	"path/filepath"

	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/pkg"
)

// Folder is the output folder of every deployment operation:
// daf_output/deployment/<session>/.
const Folder = "deployment"

// DefaultRegistry is the registry folder used when none is given: out/registry,
// beside the operation folders of the output root out.
func DefaultRegistry(out string) string { return filepath.Join(out, "registry") }

// RegistryDir is dir, or DefaultRegistry(out) when dir is empty.
func RegistryDir(out, dir string) string {
	if dir == "" {
		return DefaultRegistry(out)
	}
	return dir
}

// PackageOperation writes a package (daf.package, dafscript package):
// the .dafpkg goes to Options.Out, or into the session folder when none is
// given, and the result to package.json. The package records the running
// dafscript's version as its code version.
var PackageOperation = op.Spec[pkg.Options, *pkg.Result]{
	Name: "package", Folder: Folder,
	Body: func(r *op.Run, s *output.Session, o pkg.Options) (*pkg.Result, error) {
		o.CodeVersion = r.Info.Version
		return pkg.Write(r.Context(), s, o)
	},
}

// ValidateOperation runs the gate (daf.validate, dafscript validate) and
// writes validation.json. A package that fails a check is a result
// (Passed false), not an error.
var ValidateOperation = op.Spec[ValidateOptions, *ValidationResult]{
	Name: "validation", Folder: Folder,
	Body: func(r *op.Run, s *output.Session, o ValidateOptions) (*ValidationResult, error) {
		o.Jobs = r.Jobs
		return Validate(r.Context(), s, o)
	},
}

// DeployOperation validates and deploys a package (daf.deploy, dafscript
// deploy) into Options.Registry, DefaultRegistry(r.Out) when empty, and
// writes validation.json and deploy.json. A package that fails the gate
// is a *GateError unless Options.Force.
var DeployOperation = op.Spec[Options, *Result]{
	Name: "deploy", Folder: Folder,
	Body: func(r *op.Run, s *output.Session, o Options) (*Result, error) {
		o.Registry = RegistryDir(r.Out, o.Registry)
		o.Gate.Jobs = r.Jobs
		return Deploy(r.Context(), s, o)
	},
}

// RollbackOperation makes the previous version of a policy current again
// (daf.rollback, dafscript rollback) and writes rollback.json.
var RollbackOperation = op.Spec[RollbackOptions, *RollbackResult]{
	Name: "rollback", Folder: Folder,
	Body: func(r *op.Run, s *output.Session, o RollbackOptions) (*RollbackResult, error) {
		o.Registry = RegistryDir(r.Out, o.Registry)
		return Rollback(r.Context(), s, o)
	},
}
