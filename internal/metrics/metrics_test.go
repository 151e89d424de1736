package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/types"
)

func TestSetViolationsTracksOpenViolations(t *testing.T) {
	m, err := New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	a := types.NamespacedName{Namespace: "ns", Name: "a"}
	b := types.NamespacedName{Namespace: "ns", Name: "b"}
	m.SetViolations("Bucket", a, []string{"S3-001", "S3-001", "S3-006"})
	m.SetViolations("Bucket", b, []string{"S3-001"})
	if got := testutil.ToFloat64(m.OpenViolations.WithLabelValues("Bucket", "S3-001")); got != 2 {
		t.Errorf("S3-001 open = %v, want 2 (one per object, duplicates folded)", got)
	}
	m.SetViolations("Bucket", a, nil) // fixed
	if got := testutil.ToFloat64(m.OpenViolations.WithLabelValues("Bucket", "S3-001")); got != 1 {
		t.Errorf("S3-001 open after fix = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.OpenViolations.WithLabelValues("Bucket", "S3-006")); got != 0 {
		t.Errorf("S3-006 open after fix = %v, want 0", got)
	}
	var nilMetrics *Metrics
	nilMetrics.SetViolations("Bucket", a, []string{"S3-001"}) // no-op, no panic
}

func TestNewReusesRegisteredCollectors(t *testing.T) {
	reg := prometheus.NewRegistry()
	m1, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := New(reg)
	if err != nil {
		t.Fatalf("second New on one registry: %v", err)
	}
	m1.ReconcileErrors.WithLabelValues("Bucket").Inc()
	if got := testutil.ToFloat64(m2.ReconcileErrors.WithLabelValues("Bucket")); got != 1 {
		t.Errorf("collectors not shared: %v", got)
	}
}
