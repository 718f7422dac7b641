package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/dafscript/dafscript/sim/mission"
)

func missionsCmd() *Command {
	c := &Command{
		Name:    "missions",
		Usage:   "dafscript missions [-v]",
		Summary: "list the missions: map size, agents, step limit, variants",
		Help: `Prints the mission catalog as a table. -v adds each mission's
description and the variants that can follow a mission name
("training_facility_1+dark_side").`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		verbose := fs.Bool("v", false, "add descriptions and the list of variants")
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) > 0 {
			return usageError(st, c, "unexpected argument %q", pos[0])
		}
		if err := writeMissions(st.Stdout, mission.Catalog(), *verbose); err != nil {
			fmt.Fprintf(st.Stderr, "dafscript missions: %v\n", err)
			return ExitError
		}
		return ExitOK
	}
	return c
}

// writeMissions prints the catalog table and, when verbose, the variants.
func writeMissions(w io.Writer, ms []*mission.Mission, verbose bool) error {
	t := newTable(w)
	header := []any{"mission", "map", "agents", "max steps", "variants"}
	if verbose {
		header = append(header, "description")
	}
	t.Header(header...)
	for _, m := range ms {
		variants := strings.Join(m.Variants, "\n")
		if variants == "" {
			variants = "-"
		}
		row := []any{m.Name, fmt.Sprintf("%dx%d", m.Width, m.Height), m.NumAgents, m.MaxSteps, variants}
		if verbose {
			row = append(row, wrap(m.Description, 50))
		}
		if err := t.Append(row...); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d missions. Add :easy or :shaped, and +VARIANT to a name, e.g. training_facility_1:easy+dark_side.\n", len(ms))
	if !verbose {
		return nil
	}
	fmt.Fprintln(w, "\nVariants:")
	vt := newTable(w)
	vt.Header("variant", "effect")
	for _, v := range mission.VariantNames() {
		if err := vt.Append(v, wrap(mission.VariantDoc(v), 70)); err != nil {
			return err
		}
	}
	return vt.Render()
}

// newTable returns a left-aligned table.
func newTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft))
}

// wrap breaks text into lines of at most width bytes at spaces.
func wrap(text string, width int) string {
	var b strings.Builder
	n := 0
	for _, word := range strings.Fields(text) {
		if n > 0 && n+1+len(word) > width {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}
