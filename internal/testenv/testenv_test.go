package testenv

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ackguard/ackguard/internal/localcluster"
)

func TestSuiteWithoutStartStartsNothing(t *testing.T) {
	s := New(Options{Name: "unit suite", Setup: func(context.Context, *localcluster.Cluster) error {
		t.Error("Setup ran although no test called Start")
		return nil
	}})
	var stderr bytes.Buffer
	if code := s.run(func() int { return 0 }, &stderr); code != 0 {
		t.Errorf("exit code %d: %s", code, stderr.String())
	}
	if s.cluster != nil {
		t.Error("a control plane was started")
	}
	if s.Context().Err() == nil {
		t.Error("the suite's context outlives the suite")
	}
}

func TestFailingTestsKeepTheirExitCode(t *testing.T) {
	s := New(Options{})
	var stderr bytes.Buffer
	if code := s.run(func() int { return 1 }, &stderr); code != 1 {
		t.Errorf("exit code %d", code)
	}
}

func TestStartAfterTheSuiteEndedFails(t *testing.T) {
	s := New(Options{})
	_ = s.run(func() int { return 0 }, &bytes.Buffer{})
	s.once.Do(func() { t.Error("the control plane could still start") })
	if s.err == nil {
		t.Error("no error for a start after the end")
	}
}

func TestCheckNoPanics(t *testing.T) {
	reg := prometheus.NewRegistry()
	reconcile := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "controller_runtime_reconcile_panics_total"}, []string{"controller"})
	webhook := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "controller_runtime_webhook_panics_total"}, []string{})
	other := prometheus.NewCounter(prometheus.CounterOpts{Name: "controller_runtime_reconcile_errors_total"})
	reg.MustRegister(reconcile, webhook, other)
	reconcile.WithLabelValues("bucket").Add(0)
	webhook.WithLabelValues().Add(0)
	other.Inc()
	if err := CheckNoPanics(reg); err != nil {
		t.Fatalf("zero counters: %v", err)
	}
	reconcile.WithLabelValues("bucket").Inc()
	webhook.WithLabelValues().Add(2)
	err := CheckNoPanics(reg)
	if err == nil {
		t.Fatal("panics not reported")
	}
	for _, want := range []string{"controller_runtime_reconcile_panics_total{controller=bucket} = 1", "controller_runtime_webhook_panics_total{} = 2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "errors_total") {
		t.Errorf("%q names a counter that is not a panic counter", err)
	}
}

// TestSuiteFailsOnARecoveredPanic: the exit code is non-zero when a panic
// was counted, even though every test passed.
func TestSuiteFailsOnARecoveredPanic(t *testing.T) {
	reg := prometheus.NewRegistry()
	panics := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "controller_runtime_webhook_panics_total"}, []string{})
	reg.MustRegister(panics)
	panics.WithLabelValues().Inc()
	s := New(Options{Name: "panicking suite"})
	s.panics = reg
	var stderr bytes.Buffer
	if code := s.run(func() int { return 0 }, &stderr); code != 1 {
		t.Errorf("exit code %d", code)
	}
	if !strings.Contains(stderr.String(), "panicking suite: controller-runtime recovered panics") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

// TestControllerRuntimeRegistryHasThePanicCounters: the names watched are
// those of the controller-runtime version in go.mod.
func TestControllerRuntimeRegistryHasThePanicCounters(t *testing.T) {
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range families {
		have[f.GetName()] = true
	}
	// The reconcile counter has a controller label: it has no series before
	// a controller starts, so only the webhook counters are listed here.
	for _, n := range PanicMetrics[1:] {
		if !have[n] {
			t.Errorf("controller-runtime's registry has no %s", n)
		}
	}
}
