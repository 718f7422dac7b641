// Package childbench starts processes of the running test binary for
// benchmarks that compare this process against two independent ones: each
// child runs one named test, tells its parent it is ready, and answers a
// line on its standard input with a line of its own. Lines of the
// children's other output are skipped by their prefix.
package childbench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Prefix starts every line a child says to its parent.
const Prefix = "childbench: "

// Child is one process of the test binary.
type Child struct {
	in  io.WriteCloser
	out *bufio.Scanner
}

// Start runs the test named test in n processes of this test binary with
// env added to their environment, and waits until each has said "ready".
// The children end when the benchmark does (their standard input closes).
func Start(tb testing.TB, n int, test string, env ...string) []*Child {
	tb.Helper()
	kids := make([]*Child, n)
	for i := range kids {
		cmd := exec.Command(os.Args[0], "-test.run", "^"+test+"$")
		cmd.Env = append(os.Environ(), env...)
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			tb.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			tb.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { in.Close(); cmd.Wait() })
		kids[i] = &Child{in: in, out: bufio.NewScanner(out)}
	}
	for i, k := range kids {
		if w := k.Next(tb); w != "ready" {
			tb.Fatalf("child %d: %s", i, w)
		}
	}
	return kids
}

// Send writes one line to the child.
func (c *Child) Send(tb testing.TB, line string) {
	if _, err := io.WriteString(c.in, line+"\n"); err != nil {
		tb.Fatal(err)
	}
}

// Next returns the child's next line (without Prefix).
func (c *Child) Next(tb testing.TB) string {
	for c.out.Scan() {
		if line, ok := strings.CutPrefix(c.out.Text(), Prefix); ok {
			return line
		}
	}
	tb.Fatal("a child process ended early")
	return ""
}

// Say is what a child writes to its parent.
func Say(format string, a ...any) { fmt.Printf(Prefix+format+"\n", a...) }
