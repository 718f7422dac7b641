package op

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{Usagef("alpha: got %v", 2), 2},
		{fmt.Errorf("daf.compare: %w", Wrap(Usage, errors.New("x"))), 2},
		{Wrap(Regression, errors.New("2 failed")), 3},
		{Wrap(Unhealthy, errors.New("no disk")), 4},
		{fmt.Errorf("episode 3: %w", context.Canceled), 130},
		{context.DeadlineExceeded, 130},
	} {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
