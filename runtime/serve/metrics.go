package serve

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// latencyBuckets are the upper bounds, in seconds, of the request latency
// histogram.
var latencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}

// metrics are written in the Prometheus text exposition format (0.0.4).
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]uint64 // (path, code) -> count
	buckets  []uint64             // cumulative is computed on output
	count    uint64
	sum      float64

	errors       atomic.Uint64
	observations atomic.Uint64
	reloads      atomic.Uint64
	reloadErrors atomic.Uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[[2]string]uint64{}, buckets: make([]uint64, len(latencyBuckets)+1)}
}

func (m *metrics) observe(path string, code int, d time.Duration) {
	s := d.Seconds()
	i := sort.SearchFloat64s(latencyBuckets, s)
	m.mu.Lock()
	m.requests[[2]string{path, strconv.Itoa(code)}]++
	if path == "/v1/act" {
		m.buckets[i]++
		m.count++
		m.sum += s
	}
	m.mu.Unlock()
	if code >= 400 {
		m.errors.Add(1)
	}
}

func (m *metrics) write(w io.Writer, sessions int, version string) {
	m.mu.Lock()
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	fmt.Fprintln(w, "# HELP dafscript_serve_requests_total HTTP requests by path and status code.")
	fmt.Fprintln(w, "# TYPE dafscript_serve_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "dafscript_serve_requests_total{path=%q,code=%q} %d\n", k[0], k[1], m.requests[k])
	}
	fmt.Fprintln(w, "# HELP dafscript_serve_act_duration_seconds Latency of POST /v1/act, from request to response written.")
	fmt.Fprintln(w, "# TYPE dafscript_serve_act_duration_seconds histogram")
	var cum uint64
	for i, le := range latencyBuckets {
		cum += m.buckets[i]
		fmt.Fprintf(w, "dafscript_serve_act_duration_seconds_bucket{le=%q} %d\n", strconv.FormatFloat(le, 'g', -1, 64), cum)
	}
	cum += m.buckets[len(latencyBuckets)]
	fmt.Fprintf(w, "dafscript_serve_act_duration_seconds_bucket{le=\"+Inf\"} %d\n", cum)
	fmt.Fprintf(w, "dafscript_serve_act_duration_seconds_sum %s\n", strconv.FormatFloat(m.sum, 'g', -1, 64))
	fmt.Fprintf(w, "dafscript_serve_act_duration_seconds_count %d\n", m.count)
	m.mu.Unlock()
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	counter("dafscript_serve_errors_total", "Requests answered with a 4xx or 5xx status.", m.errors.Load())
	counter("dafscript_serve_observations_total", "Observations acted on.", m.observations.Load())
	counter("dafscript_serve_reloads_total", "Policy versions loaded after the start.", m.reloads.Load())
	counter("dafscript_serve_reload_errors_total", "Failed attempts to load a new current version.", m.reloadErrors.Load())
	fmt.Fprintf(w, "# HELP dafscript_serve_sessions Open sessions (controllers with state).\n# TYPE dafscript_serve_sessions gauge\ndafscript_serve_sessions %d\n", sessions)
	fmt.Fprintf(w, "# HELP dafscript_serve_policy_info The policy being served.\n# TYPE dafscript_serve_policy_info gauge\ndafscript_serve_policy_info{policy=%q} 1\n", version)
}
