package dist

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func init() {
	Register("dist_test.echo", func(ctx context.Context, p []byte) ([]byte, error) {
		if string(p) == "fail" {
			return nil, errors.New("asked to fail")
		}
		if string(p) == "panic" {
			var m map[string]int
			m["x"]++
		}
		return append([]byte("echo "), p...), nil
	})
}

func TestLocalRunsEveryJobOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 3} {
		var jobs []Job
		for i := range 20 {
			jobs = append(jobs, Job{Kind: "dist_test.echo", Payload: []byte(strconv.Itoa(i)), Cost: i % 3})
		}
		jobs = append(jobs, Job{Kind: "dist_test.echo", Payload: []byte("fail")},
			Job{Kind: "dist_test.echo", Payload: []byte("panic")}, Job{Kind: "nobody"})
		got := make([]string, len(jobs))
		calls := 0
		err := Local{Workers: workers}.Run(context.Background(), jobs, func(i int, out []byte, err error) {
			calls++
			if err != nil {
				got[i] = "error: " + err.Error()
			} else {
				got[i] = string(out)
			}
		})
		if err != nil || calls != len(jobs) {
			t.Fatalf("workers=%d: %v, %d calls", workers, err, calls)
		}
		for i := range 20 {
			if got[i] != "echo "+strconv.Itoa(i) {
				t.Errorf("job %d: %q", i, got[i])
			}
		}
		for i, want := range []string{"asked to fail", "panic: assignment to entry in nil map", `no handler for jobs of kind "nobody"`} {
			if !strings.Contains(got[20+i], want) {
				t.Errorf("job %d: %q does not say %q", 20+i, got[20+i], want)
			}
		}
	}
}

func TestLocalCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	err := Local{Workers: 2}.Run(ctx, []Job{{Kind: "dist_test.echo"}}, func(int, []byte, error) { calls++ })
	if !errors.Is(err, context.Canceled) || calls != 0 {
		t.Fatalf("%v, %d calls", err, calls)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	Register("dist_test.echo", func(context.Context, []byte) ([]byte, error) { return nil, nil })
}
