package metrics

import (
	"slices"
	"strings"
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

func TestSetExceptionStateCountsExceptionsByState(t *testing.T) {
	m, err := New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	a := types.NamespacedName{Namespace: "ns", Name: "a"}
	b := types.NamespacedName{Namespace: "ns", Name: "b"}
	c := types.NamespacedName{Namespace: "other", Name: "a"}
	gauge := func(state string) float64 {
		return testutil.ToFloat64(m.Exceptions.WithLabelValues(state))
	}
	m.SetExceptionState(a, "Active") // the API's casing is accepted
	m.SetExceptionState(b, ExceptionActive)
	m.SetExceptionState(c, "Invalid")
	if gauge(ExceptionActive) != 2 || gauge(ExceptionInvalid) != 1 || gauge(ExceptionExpired) != 0 {
		t.Errorf("active/expired/invalid = %v/%v/%v, want 2/0/1", gauge(ExceptionActive), gauge(ExceptionExpired), gauge(ExceptionInvalid))
	}
	m.SetExceptionState(a, "Expired") // moves, is not counted twice
	m.SetExceptionState(c, "")        // deleted
	if gauge(ExceptionActive) != 1 || gauge(ExceptionExpired) != 1 || gauge(ExceptionInvalid) != 0 {
		t.Errorf("after changes active/expired/invalid = %v/%v/%v, want 1/1/0", gauge(ExceptionActive), gauge(ExceptionExpired), gauge(ExceptionInvalid))
	}
	var nilMetrics *Metrics
	nilMetrics.SetExceptionState(a, "Active") // no-op, no panic
}

func TestEveryCollectorIsRegistered(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	// Touch every vector so it exports a series.
	m.AdmissionDecisions.WithLabelValues("Bucket", "S3-001", ResultDenied).Inc()
	m.AdmissionDuration.WithLabelValues("Bucket", "false").Observe(0.001)
	m.Remediations.WithLabelValues("Bucket", "S3-001", "applied").Inc()
	m.OpenViolations.WithLabelValues("Bucket", "S3-001").Set(1)
	m.ReconcileErrors.WithLabelValues("Bucket").Inc()
	m.SetExceptionState(types.NamespacedName{Namespace: "ns", Name: "a"}, "Active")
	m.SetSuspended("Bucket", types.NamespacedName{Namespace: "ns", Name: "a"}, true)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range families {
		got[f.GetName()] = true
	}
	for _, name := range []string{
		"ackguard_admission_decisions_total", "ackguard_admission_duration_seconds", "ackguard_remediations_total",
		"ackguard_violations_open", "ackguard_reconcile_errors_total", "ackguard_exceptions", "ackguard_remediation_suspended",
	} {
		if !got[name] {
			t.Errorf("%s is not registered (have %v)", name, got)
		}
	}
}

func TestSetSuspendedCountsSuspendedObjects(t *testing.T) {
	m, err := New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	a := types.NamespacedName{Namespace: "ns", Name: "a"}
	b := types.NamespacedName{Namespace: "ns", Name: "b"}
	m.SetSuspended("Bucket", a, true)
	m.SetSuspended("Bucket", a, true) // again: still one
	m.SetSuspended("Bucket", b, true)
	m.SetSuspended("Bucket", b, false)
	m.SetSuspended("Bucket", b, false)
	if got := testutil.ToFloat64(m.Suspended.WithLabelValues("Bucket")); got != 1 {
		t.Errorf("suspended = %g, want 1", got)
	}
	m.SetSuspended("Bucket", a, false)
	if got := testutil.ToFloat64(m.Suspended.WithLabelValues("Bucket")); got != 0 {
		t.Errorf("suspended = %g, want 0", got)
	}
}

// Objects lists each object of a kind the gauges count once: an open
// violation, a suspension, or both.
func TestObjectsListsTheObjectsTheGaugesCount(t *testing.T) {
	m, err := New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	open := types.NamespacedName{Namespace: "ns", Name: "open"}
	both := types.NamespacedName{Namespace: "ns", Name: "both"}
	suspended := types.NamespacedName{Namespace: "ns", Name: "suspended"}
	fixed := types.NamespacedName{Namespace: "ns", Name: "fixed"}
	m.SetViolations("Bucket", open, []string{"S3-001"})
	m.SetViolations("Bucket", both, []string{"S3-001"})
	m.SetSuspended("Bucket", both, true)
	m.SetSuspended("Bucket", suspended, true)
	m.SetViolations("Bucket", fixed, []string{"S3-001"})
	m.SetViolations("Bucket", fixed, nil)
	m.SetViolations("Queue", open, []string{"SQS-001"})
	got := m.Objects("Bucket")
	slices.SortFunc(got, func(a, b types.NamespacedName) int { return strings.Compare(a.String(), b.String()) })
	if want := []types.NamespacedName{both, open, suspended}; !slices.Equal(got, want) {
		t.Errorf("Objects = %v, want %v", got, want)
	}
	var none *Metrics
	if got := none.Objects("Bucket"); got != nil {
		t.Errorf("nil Metrics: Objects = %v", got)
	}
}
