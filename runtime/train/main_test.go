package train

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// TestMain registers the neural policies; started by Launch as a rank
// (the data-parallel tests), the test binary trains as that rank.
func TestMain(m *testing.M) {
	Register()
	if len(os.Args) > 1 && os.Args[1] == WorkerCommand {
		if err := RunWorker(context.Background(), os.Args[2:], os.Stdin); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
