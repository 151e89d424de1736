package controllers

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/govsource"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// TestNoteMemory: a state Event is recorded when it is news (first seen,
// changed, or found again after it stopped holding) or StateEventEvery
// after the last; otherwise not.
func TestNoteMemory(t *testing.T) {
	var m noteMemory
	bucket := view.BucketGVK.GroupKind()
	obj, other := memoryKey{bucket, types.NamespacedName{Namespace: "a", Name: "b"}}, memoryKey{bucket, types.NamespacedName{Namespace: "a", Name: "c"}}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	step := func(name string, key memoryKey, reason, note string, at time.Time, wantRecord, wantChanged bool) {
		t.Helper()
		m.begin(key)
		record, changed := m.due(key, "uid", reason, note, at)
		if record {
			m.recorded(key, reason, at)
		}
		m.end(key, true)
		if record != wantRecord || changed != wantChanged {
			t.Errorf("%s: record %v, changed %v; want %v, %v", name, record, changed, wantRecord, wantChanged)
		}
	}
	step("first", obj, ReasonViolation, "S3-001 open", t0, true, true)
	step("the same at resync", obj, ReasonViolation, "S3-001 open", t0.Add(10*time.Minute), false, false)
	step("another reason is its own", obj, ReasonRemediationSkipped, "read-only", t0.Add(10*time.Minute), true, true)
	step("another object is its own", other, ReasonViolation, "S3-001 open", t0.Add(10*time.Minute), true, true)
	step("changed", obj, ReasonViolation, "S3-001 and S3-004 open", t0.Add(20*time.Minute), true, true)
	step("again within the hour of the change", obj, ReasonViolation, "S3-001 and S3-004 open", t0.Add(79*time.Minute), false, false)
	step("again an hour after", obj, ReasonViolation, "S3-001 and S3-004 open", t0.Add(80*time.Minute), true, false)

	// A reconcile that does not find a state settles it: found again, it
	// is news. The Skipped state of obj was not found by the reconciles
	// above (each recorded one reason), so it is gone too.
	m.begin(obj)
	m.end(obj, true)
	step("found again after it stopped holding", obj, ReasonViolation, "S3-001 and S3-004 open", t0.Add(81*time.Minute), true, true)
	step("skipped again after it stopped holding", obj, ReasonRemediationSkipped, "read-only", t0.Add(81*time.Minute), true, true)

	// A reconcile that failed before it came to the states settles none.
	m.begin(obj)
	m.end(obj, false)
	step("found again after a failed reconcile", obj, ReasonRemediationSkipped, "read-only", t0.Add(82*time.Minute), false, false)

	// Another object of the same name is news.
	m.begin(obj)
	record, changed := m.due(obj, "another uid", ReasonRemediationSkipped, "read-only", t0.Add(83*time.Minute))
	m.end(obj, true)
	if !record || !changed {
		t.Errorf("an object created again under the same name: record %v, changed %v; want true, true", record, changed)
	}

	m.forget(other)
	step("forgotten object", other, ReasonViolation, "S3-001 open", t0.Add(84*time.Minute), true, true)
	m.forgetKind(bucket)
	if len(m.objs) != 0 {
		t.Errorf("%d objects remembered after forgetting their kind", len(m.objs))
	}
}

// noteHarness reconciles one ACK read-only Bucket with fixable findings
// (each reconcile finds it RemediationSkipped) through a fake client
// whose reads of it fail while failGet is set.
type noteHarness struct {
	t       *testing.T
	client  client.Client
	clock   *clocktesting.FakeClock
	failGet bool
	memory  RemediationMemory
	bucket  *unstructured.Unstructured
}

func newNoteHarness(t *testing.T) *noteHarness {
	h := &noteHarness{t: t, clock: clocktesting.NewFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))}
	b := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1",
		"kind":       "Bucket",
		"metadata": map[string]any{"name": "quiet", "namespace": "team", "uid": "uid-1",
			"annotations": map[string]any{view.AnnotationReadOnly: "True"}},
		"spec": map[string]any{
			"name":              "ackguard-quiet",
			"publicAccessBlock": map[string]any{"blockPublicACLs": true, "ignorePublicACLs": false, "blockPublicPolicy": false},
			"acl":               "public-read",
		},
	}}
	h.bucket = b
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"}}
	h.client = fake.NewClientBuilder().WithScheme(noteScheme(t)).WithObjects(ns, b.DeepCopy()).
		WithInterceptorFuncs(interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if h.failGet && key.Name == "quiet" {
				return errors.New("the cache is not ready")
			}
			return c.Get(ctx, key, obj, opts...)
		}}).Build()
	return h
}

// reconciler returns a reconciler of Buckets as the KindWatcher makes
// one: a new one for each start, sharing the manager's memory.
func (h *noteHarness) reconciler(rec events.EventRecorder) *DriftReconciler {
	r := bucketReconciler(h.client, rules.Default(), rec, h.clock)
	r.Memory, r.MaxAttempts, r.Window, r.Backoff = &h.memory, defaultMaxAttempts, defaultRemediationWindow, DefaultRemediationBackoff
	return r
}

// bucketReconciler is a reconciler of Buckets reading and writing through
// c, judging under reg with no policy, never waiting for its turn.
func bucketReconciler(c client.Client, reg *rules.Registry, rec events.EventRecorder, clk clock.PassiveClock) *DriftReconciler {
	return &DriftReconciler{
		Client: c, APIReader: c, Registry: reg, GVK: view.BucketGVK, Recorder: rec, Clock: clk,
		Governance: &govsource.Source{Reader: c, Registry: reg, Defaults: governance.Defaults{}},
		Limiter:    rate.NewLimiter(rate.Inf, 1),
	}
}

func (h *noteHarness) reconcile(r *DriftReconciler) error {
	h.t.Helper()
	_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "quiet"}})
	return err
}

// skipped drains the Events the fake recorder got and counts the
// RemediationSkipped ones.
func skipped(rec *events.FakeRecorder) int {
	return len(eventsOf(drain(rec), ReasonRemediationSkipped))
}

// drain returns the Events the fake recorder got since the last drain.
func drain(rec *events.FakeRecorder) []string {
	var out []string
	for {
		select {
		case e := <-rec.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// TestStateEventsSurviveAFailedReconcile: a reconcile that fails before
// it judges the object (a read error, retried) does not end the object's
// state; the retry finding it again records nothing.
func TestStateEventsSurviveAFailedReconcile(t *testing.T) {
	h := newNoteHarness(t)
	fake := events.NewFakeRecorder(100)
	r := h.reconciler(fake)
	if err := h.reconcile(r); err != nil {
		t.Fatal(err)
	}
	if n := skipped(fake); n != 1 {
		t.Fatalf("%d RemediationSkipped Events at the first reconcile, want 1", n)
	}
	h.failGet = true
	if err := h.reconcile(r); err == nil {
		t.Fatal("the failing read did not fail the reconcile")
	}
	h.failGet = false
	h.clock.Step(time.Second)
	if err := h.reconcile(r); err != nil {
		t.Fatal(err)
	}
	if n := skipped(fake); n != 0 {
		t.Errorf("%d RemediationSkipped Events after a failed reconcile and its retry, want none (the state did not change)", n)
	}
}

// TestStateEventsSurviveARestartOfTheKindsReconciler: the KindWatcher
// starts a kind's reconciler again when a CRD it reads comes or goes; the
// new one does not record (and count) every open state again.
func TestStateEventsSurviveARestartOfTheKindsReconciler(t *testing.T) {
	h := newNoteHarness(t)
	fake := events.NewFakeRecorder(100)
	if err := h.reconcile(h.reconciler(fake)); err != nil {
		t.Fatal(err)
	}
	if n := skipped(fake); n != 1 {
		t.Fatalf("%d RemediationSkipped Events at the first reconcile, want 1", n)
	}
	h.clock.Step(time.Minute)
	if err := h.reconcile(h.reconciler(fake)); err != nil {
		t.Fatal(err)
	}
	if n := skipped(fake); n != 0 {
		t.Errorf("%d RemediationSkipped Events from the restarted reconciler, want none (the state did not change)", n)
	}
}

// TestDroppedStateEventIsRecordedAtTheNextReconcile: a state Event the
// --event-qps bound dropped was not recorded; the next reconcile records
// it instead of waiting StateEventEvery.
func TestDroppedStateEventIsRecordedAtTheNextReconcile(t *testing.T) {
	h := newNoteHarness(t)
	fake := events.NewFakeRecorder(100)
	bounded := NewBoundedRecorder(fake, 1.0/3600, 1, nil).(*BoundedRecorder)
	bounded.Eventf(h.bucket, nil, corev1.EventTypeNormal, ReasonRemediated, "Remediate", "another object's fix spends the burst")
	<-fake.Events
	r := h.reconciler(bounded)
	if err := h.reconcile(r); err != nil {
		t.Fatal(err)
	}
	if n := skipped(fake); n != 0 {
		t.Fatalf("%d RemediationSkipped Events beyond the bound, want it dropped", n)
	}
	bounded.limiter.SetLimit(rate.Inf)
	h.clock.Step(10 * time.Minute) // a resync
	if err := h.reconcile(r); err != nil {
		t.Fatal(err)
	}
	if n := skipped(fake); n != 1 {
		t.Errorf("%d RemediationSkipped Events at the resync after it was dropped, want 1", n)
	}
}

// TestTwoViolationEventsOfOneReconcileAreEachRecordedOnce: a reconcile
// may record two Violation Events (what is only reported, and what a fix
// that changes nothing leaves); found again, neither is recorded again.
func TestTwoViolationEventsOfOneReconcileAreEachRecordedOnce(t *testing.T) {
	fake := events.NewFakeRecorder(100)
	h := newNoteHarness(t)
	r := h.reconciler(fake)
	key := memoryKey{view.BucketGVK.GroupKind(), types.NamespacedName{Namespace: "team", Name: "quiet"}}
	for i := range 3 {
		r.memory().notes.begin(key)
		r.event(h.bucket, corev1.EventTypeWarning, ReasonViolation, "Report", "%s", "S3-011 spec.logging: no access logging")
		r.event(h.bucket, corev1.EventTypeWarning, ReasonViolation, "Report", "%s (the fix changes nothing; change the spec)", "S3-004 spec.acl: public-read")
		r.memory().notes.end(key, true)
		if n := len(fake.Events); i == 0 && n != 2 || i > 0 && n != 0 {
			t.Errorf("reconcile %d recorded %d Violation Events, want %d", i+1, n, map[bool]int{true: 2, false: 0}[i == 0])
		}
		for len(fake.Events) > 0 {
			<-fake.Events
		}
		h.clock.Step(10 * time.Minute)
	}
}

func noteScheme(t *testing.T) *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}
