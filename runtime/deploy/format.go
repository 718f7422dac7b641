package deploy

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the verdict and one line per check.
func (r *ValidationResult) WriteText(w io.Writer) error {
	verdict := "PASSED"
	if !r.Passed {
		verdict = "FAILED"
	}
	what := r.Package
	if r.Name != "" {
		what = r.Name + "@" + r.Version + " (" + r.Package + ")"
	}
	fmt.Fprintf(w, "Validation of %s: %s\n", what, verdict)
	for _, c := range r.Checks {
		mark := "pass"
		if !c.Passed {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %-10s %s  %s\n", c.Name, mark, c.Detail)
	}
	return nil
}

// WriteText says what was deployed and what is current.
func (r *Result) WriteText(w io.Writer) error {
	if r.Validation != nil {
		if err := r.Validation.WriteText(w); err != nil {
			return err
		}
	}
	forced := ""
	if r.Forced {
		forced = " (forced: it failed validation)"
	}
	fmt.Fprintf(w, "Deployed %s@%s to %s%s; current: %s%s\n", r.Name, r.Version, r.Registry, forced, r.Current.Version, before(r.Current.History))
	return nil
}

// WriteText says which version is current after the rollback.
func (r *RollbackResult) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "Rolled back %s in %s; current: %s%s\n", r.Name, r.Registry, r.Current.Version, before(r.Current.History))
	return err
}

func before(history []string) string {
	if len(history) == 0 {
		return ""
	}
	return " (before: " + strings.Join(history, ", ") + ")"
}
