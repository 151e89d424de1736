package manager

import (
	"net/http"
	"testing"

	"k8s.io/client-go/rest"
)

// TestEventsClientIsBounded: the Events the manager records go through a
// client of their own, bounded by --event-qps and --event-burst (0:
// unbounded), whatever bound the manager's main client has.
func TestEventsClientIsBounded(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:6443", QPS: -1}
	for _, tc := range []struct {
		qps       float64
		burst     int
		wantQPS   float32
		unbounded bool
	}{
		{qps: 50, burst: 100, wantQPS: 50},
		{qps: 2.5, burst: 0, wantQPS: 2.5},
		{qps: 0, burst: 100, unbounded: true},
	} {
		cl, err := eventsClient(cfg, http.DefaultClient, tc.qps, tc.burst)
		if err != nil {
			t.Fatal(err)
		}
		rl := cl.RESTClient().GetRateLimiter()
		switch {
		case tc.unbounded && rl != nil:
			t.Errorf("--event-qps=%v: rate limited at %v/s", tc.qps, rl.QPS())
		case !tc.unbounded && (rl == nil || rl.QPS() != tc.wantQPS):
			t.Errorf("--event-qps=%v: limiter %v, want %v/s", tc.qps, rl, tc.wantQPS)
		}
	}
	if cfg.QPS != -1 {
		t.Errorf("the manager's own configuration changed: QPS %v", cfg.QPS)
	}
}
