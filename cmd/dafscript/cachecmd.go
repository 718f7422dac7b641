package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/dafscript/dafscript/runtime/cache"
)

func cacheCmd() *Command {
	c := &Command{
		Name:    "cache",
		Usage:   "dafscript cache stats|clear [KIND...] [--format table|json|yaml]",
		Summary: "show or clear the result cache",
		Help: `Runs keep every episode they play in the result cache, keyed by its content
address (mission, policies and their weights, seed, steps and the build of
dafscript), and reuse it when the same episode is asked for again;
--no-cache refuses it. The cache is $DAF_CACHE_DIR, else dafscript/ in the
user's cache folder (~/.cache/dafscript on Linux).

  stats          the folder, and the entries and bytes by kind
  clear [KIND]   remove every entry (or those of the kinds named)`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		format := fs.String("format", "table", "output `format`: table, json or yaml")
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) == 0 {
			return usageError(st, c, "want a sub-command: stats or clear")
		}
		if *format != "table" && *format != "json" && *format != "yaml" {
			return usageError(st, c, "--format %q: want table, json or yaml", *format)
		}
		var f distFlags
		o, err := f.cacheOptions(st)
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		var res cache.Stats
		switch pos[0] {
		case "stats":
			if len(pos) > 1 {
				return usageError(st, c, "stats takes no arguments, got %q", strings.Join(pos[1:], " "))
			}
			cc, err := cache.Open(o)
			if err == nil {
				res, err = cc.Stats()
			}
			if err != nil {
				return runFailed(st, c.Name, err)
			}
		case "clear":
			cc, err := cache.Open(o)
			if err == nil {
				res, err = cc.Clear(pos[1:]...)
			}
			if err != nil {
				return runFailed(st, c.Name, err)
			}
		default:
			return usageError(st, c, "unknown sub-command %q%s (want stats or clear)", pos[0], didYouMean(pos[0], []string{"stats", "clear"}))
		}
		err = writeResult(st, *format, res, func(w io.Writer) error {
			verb := "holds"
			if pos[0] == "clear" {
				verb = "removed"
			}
			fmt.Fprintf(w, "cache %s\n%s %d entries, %s\n", res.Dir, verb, res.Entries, byteSize(res.Bytes))
			for _, k := range res.Kinds {
				fmt.Fprintf(w, "  %-10s %6d entries  %s\n", k.Kind, k.Entries, byteSize(k.Bytes))
			}
			return nil
		})
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		return ExitOK
	}
	return c
}

// byteSize writes n bytes readably: 512 B, 3.4 KiB, 12.0 MiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
