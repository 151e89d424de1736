package controllers

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/metrics"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// specRule is a Bucket rule of the partial-fix tests: a finding while
// spec.<field> is not "ok", fixed by setting it to "ok" when fixable (nil:
// always) says so of the object as the earlier fixes left it.
func specRule(id, field string, fixable func(spec map[string]any) bool) *rules.Rule {
	spec := func(obj map[string]any) map[string]any {
		s, _ := obj["spec"].(map[string]any)
		return s
	}
	can := func(obj map[string]any) bool { return fixable == nil || fixable(spec(obj)) }
	return &rules.Rule{
		ID: id, Title: id, Severity: rules.Medium, Kinds: []schema.GroupKind{view.BucketGVK.GroupKind()},
		Admission: rules.Warn, Remediation: rules.Fix,
		Check: func(in *rules.Input) []rules.Finding {
			if spec(in.Object)[field] == "ok" {
				return nil
			}
			return []rules.Finding{{Path: view.NewPath("spec", field), Message: field + " is not ok", Fixable: can(in.Object)}}
		},
		Fixer: func(m *rules.Mutation) error {
			if spec(m.Input().Object)[field] == "ok" || !can(m.Input().Object) {
				return nil
			}
			return m.Set(view.NewPath("spec", field), "ok")
		},
	}
}

// deniedWhen is a Bucket rule admission denies while spec.<field> is
// value, with no fix.
func deniedWhen(id, field, value string) *rules.Rule {
	return &rules.Rule{
		ID: id, Title: id, Severity: rules.High, Kinds: []schema.GroupKind{view.BucketGVK.GroupKind()},
		Admission: rules.Deny, Remediation: rules.Audit,
		Check: func(in *rules.Input) []rules.Finding {
			if s, _ := in.Object["spec"].(map[string]any); s[field] == value {
				return []rules.Finding{{Path: view.NewPath("spec", field), Message: field + " is " + value}}
			}
			return nil
		},
	}
}

// suspendedSink records what the reconciler last said of suspensions.
type suspendedSink struct {
	rules     []string
	suspended bool
}

func (s *suspendedSink) Observe(*unstructured.Unstructured, *governance.Judgement, map[string]time.Time) {
}
func (s *suspendedSink) Forget(schema.GroupVersionKind, types.NamespacedName) {}
func (s *suspendedSink) ForgetKind(schema.GroupKind)                          {}
func (s *suspendedSink) Objects(schema.GroupKind) []types.NamespacedName      { return nil }
func (s *suspendedSink) Remediated(*unstructured.Unstructured, []string)      {}
func (s *suspendedSink) Suspended(_ *unstructured.Unstructured, ids []string, sus bool) {
	s.rules, s.suspended = ids, sus
}

// partialHarness reconciles one Bucket "b" of namespace "team" under a
// registry of the test's rules, through a fake client.
type partialHarness struct {
	t       *testing.T
	client  client.Client
	clock   *clocktesting.FakeClock
	rec     *events.FakeRecorder
	mets    *metrics.Metrics
	results *suspendedSink
	r       *DriftReconciler
}

func newPartialHarness(t *testing.T, spec map[string]any, rs ...*rules.Rule) *partialHarness {
	t.Helper()
	reg, err := rules.NewRegistry(rs...)
	if err != nil {
		t.Fatal(err)
	}
	mets, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	b := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
		"metadata": map[string]any{"name": "b", "namespace": "team", "uid": "uid-b"},
		"spec":     spec,
	}}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"}}
	h := &partialHarness{
		t: t, clock: clocktesting.NewFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)),
		rec: events.NewFakeRecorder(100), mets: mets, results: &suspendedSink{},
	}
	h.client = fake.NewClientBuilder().WithScheme(noteScheme(t)).WithObjects(ns, b).Build()
	h.r = bucketReconciler(h.client, reg, h.rec, h.clock)
	h.r.MaxAttempts, h.r.Window, h.r.Backoff, h.r.Metrics, h.r.Results = 1, time.Hour, time.Second, mets, h.results
	return h
}

func (h *partialHarness) reconcile() {
	h.t.Helper()
	if _, err := h.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "b"}}); err != nil {
		h.t.Fatal(err)
	}
}

// object reads the Bucket as stored.
func (h *partialHarness) object() *unstructured.Unstructured {
	h.t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(view.BucketGVK)
	if err := h.client.Get(context.Background(), types.NamespacedName{Namespace: "team", Name: "b"}, u); err != nil {
		h.t.Fatal(err)
	}
	return u
}

// set writes spec fields as another writer would.
func (h *partialHarness) set(fields map[string]any) {
	h.t.Helper()
	u := h.object()
	for k, v := range fields {
		_ = unstructured.SetNestedField(u.Object, v, "spec", k)
	}
	if err := h.client.Update(context.Background(), u); err != nil {
		h.t.Fatal(err)
	}
}

// revert has another writer set spec fields back two seconds later, and
// the reconciler judge the object again.
func (h *partialHarness) revert(fields map[string]any) {
	h.t.Helper()
	h.set(fields)
	h.clock.Step(2 * time.Second)
	h.reconcile()
}

func (h *partialHarness) spec() map[string]any {
	h.t.Helper()
	return h.object().Object["spec"].(map[string]any)
}

// events drains the Events recorded so far.
func (h *partialHarness) events() []string { return drain(h.rec) }

func (h *partialHarness) count(rule, outcome string) float64 {
	return testutil.ToFloat64(h.mets.Remediations.WithLabelValues("Bucket", rule, outcome))
}

func eventsOf(evs []string, reason string) []string {
	return slices.DeleteFunc(slices.Clone(evs), func(e string) bool { return !strings.Contains(e, reason) })
}

// TestAFixNoLongerDueAfterItsTurnReportsNothing: judged again after
// waiting for its turn, a fix no longer due (here X-002's finding is
// gone, as if an exception now covered it) is neither patched nor
// reported: the part admission refused, judged before the wait, is not
// reported skipped.
func TestAFixNoLongerDueAfterItsTurnReportsNothing(t *testing.T) {
	var changed atomic.Bool
	x1, x2 := specRule("X-001", "a", nil), specRule("X-002", "b", nil)
	fix, check := x1.Fixer, x2.Check
	x1.Fixer = func(m *rules.Mutation) error {
		changed.Store(true) // while the fix waits for its turn
		return fix(m)
	}
	x2.Check = func(in *rules.Input) []rules.Finding {
		if changed.Load() {
			return nil
		}
		return check(in)
	}
	h := newPartialHarness(t, map[string]any{"a": "bad", "b": "bad"}, x1, x2, deniedWhen("X-003", "b", "ok"))
	h.r.Clock = clock.RealClock{}
	h.r.Limiter = rate.NewLimiter(rate.Every(3*staleAfter), 1)
	h.r.Limiter.Allow() // the next turn is 3*staleAfter away
	h.reconcile()
	if s := h.spec(); s["a"] != "bad" {
		t.Errorf("a fix no longer due was patched: spec %v", s)
	}
	if evs := eventsOf(h.events(), ReasonRemediationSkipped); len(evs) > 0 {
		t.Errorf("a fix no longer due reported skipped: %q", evs)
	}
	if n := h.count("X-002", metrics.OutcomeSkippedRefused); n != 0 {
		t.Errorf("X-002 counted skipped_refused %g times for a fix no longer due", n)
	}
}

// TestSuspensionNamesOnlyTheRulesItHolds: a fix whose part admission
// refuses is suspended for the rest, reverted past the attempts; the
// refused rule is reported skipped, never suspended.
func TestSuspensionNamesOnlyTheRulesItHolds(t *testing.T) {
	h := newPartialHarness(t, map[string]any{"a": "bad", "b": "bad"},
		specRule("X-001", "a", nil), specRule("X-002", "b", nil), deniedWhen("X-003", "b", "ok"))
	h.reconcile()
	if s := h.spec(); s["a"] != "ok" || s["b"] != "bad" {
		t.Fatalf("first fix: spec %v", s)
	}
	h.events()
	h.revert(map[string]any{"a": "bad"})
	if !h.results.suspended || !slices.Equal(h.results.rules, []string{"X-001"}) {
		t.Errorf("suspended %v for %v, want X-001 alone", h.results.suspended, h.results.rules)
	}
	for _, e := range eventsOf(h.events(), ReasonRemediationStopped) {
		if strings.Contains(e, "X-002") {
			t.Errorf("the suspension names the refused rule: %s", e)
		}
	}
	if n := h.count("X-002", metrics.OutcomeSuspended); n != 0 {
		t.Errorf("X-002 counted suspended %g times", n)
	}
	if n := h.count("X-001", metrics.OutcomeSuspended); n != 1 {
		t.Errorf("X-001 counted suspended %g times, want 1", n)
	}
}

// TestAHeldRuleIsNotCountedSuspendedAgain: a suspension of one field
// while another's fix is made; that fix reverted too suspends both, and
// counts the rule newly suspended, not again the one already held.
func TestAHeldRuleIsNotCountedSuspendedAgain(t *testing.T) {
	h := newPartialHarness(t, map[string]any{"a": "bad", "b": "ok"},
		specRule("X-001", "a", nil), specRule("X-002", "b", nil))
	h.reconcile()
	h.revert(map[string]any{"a": "bad"})
	if n := h.count("X-001", metrics.OutcomeSuspended); n != 1 {
		t.Fatalf("X-001 counted suspended %g times, want 1", n)
	}
	h.revert(map[string]any{"b": "bad"})
	if s := h.spec(); s["a"] != "bad" || s["b"] != "ok" {
		t.Fatalf("a new drift while a is held: spec %v", s)
	}
	h.revert(map[string]any{"b": "bad"})
	if !h.results.suspended || !slices.Equal(h.results.rules, []string{"X-001", "X-002"}) {
		t.Fatalf("suspended %v for %v, want both", h.results.suspended, h.results.rules)
	}
	if n := h.count("X-002", metrics.OutcomeSuspended); n != 1 {
		t.Errorf("X-002 counted suspended %g times, want 1", n)
	}
	if n := h.count("X-001", metrics.OutcomeSuspended); n != 1 {
		t.Errorf("X-001 counted suspended %g times, want 1 (it was held already)", n)
	}
}

// TestARefusedRestCountsOnlyItsOwnRulesFailed: admission refuses one
// rule's part of a fix and the API server the rest: the rest's rule is
// reported failed, the other skipped, not failed.
func TestARefusedRestCountsOnlyItsOwnRulesFailed(t *testing.T) {
	h := newPartialHarness(t, map[string]any{"a": "bad", "b": "bad"},
		specRule("X-001", "a", nil), specRule("X-002", "b", nil), deniedWhen("X-003", "b", "ok"))
	h.refuseFixOf("a")
	if _, err := h.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "b"}}); err == nil {
		t.Fatal("a refused patch did not fail the reconcile")
	}
	evs := h.events()
	if failed := eventsOf(evs, ReasonRemediationFailed); len(failed) != 1 || strings.Contains(failed[0], "X-002") {
		t.Errorf("RemediationFailed Events %q, want one naming X-001 alone", failed)
	}
	if n := h.count("X-002", metrics.OutcomeFailed); n != 0 {
		t.Errorf("X-002, refused by admission, counted failed %g times", n)
	}
	if n := h.count("X-001", metrics.OutcomeFailed); n != 1 {
		t.Errorf("X-001 counted failed %g times, want 1", n)
	}
	if skipped := eventsOf(evs, ReasonRemediationSkipped); len(skipped) != 1 || !strings.Contains(skipped[0], "X-002") {
		t.Errorf("RemediationSkipped Events %q, want one naming X-002", skipped)
	}
	if n := h.count("X-002", metrics.OutcomeSkippedRefused); n != 1 {
		t.Errorf("X-002 counted skipped_refused %g times, want 1", n)
	}
}

// TestASuspensionKeepsSayingHowOftenItsFixWasReverted: a fix of other
// fields made while a suspension lasts, in a window of its own, does not
// change what the RemediationSuspended Event says of the reverts that
// began the suspension.
func TestASuspensionKeepsSayingHowOftenItsFixWasReverted(t *testing.T) {
	h := newPartialHarness(t, map[string]any{"a": "bad", "b": "ok"},
		specRule("X-001", "a", nil), specRule("X-002", "b", nil))
	h.r.MaxAttempts = 2
	start := h.clock.Now().UTC().Format(time.RFC3339)
	for range 3 {
		h.reconcile()
		h.set(map[string]any{"a": "bad"})
		h.clock.Step(time.Minute)
	}
	h.reconcile()
	want := "X-001 reverted 2 times since " + start + ";"
	if stopped := eventsOf(h.events(), ReasonRemediationStopped); len(stopped) != 1 || !strings.Contains(stopped[0], want) {
		t.Fatalf("RemediationSuspended Events %q, want one saying %q", stopped, want)
	}
	// Past the window, b drifts: it is fixed, a is still held.
	h.clock.Step(2 * time.Hour)
	h.set(map[string]any{"b": "bad"})
	h.reconcile()
	h.clock.Step(time.Minute)
	h.reconcile()
	if s := h.spec(); s["a"] != "bad" || s["b"] != "ok" {
		t.Fatalf("spec %v, want b fixed and a held", s)
	}
	for _, e := range eventsOf(h.events(), ReasonRemediationStopped) {
		if !strings.Contains(e, want) {
			t.Errorf("RemediationSuspended Event %q, want it saying %q", e, want)
		}
	}
}

// TestARefusedFixFoundAgainIsNotRecordedAgain: a fix the API server
// refuses is refused again at every resync that tries it, the same way;
// its RemediationFailed Event says nothing new then and is recorded again
// only after StateEventEvery, as the other Events of a state are (each
// resync recorded one per object, spending the --event-qps budget of the
// Events of fixes).
func TestARefusedFixFoundAgainIsNotRecordedAgain(t *testing.T) {
	h := newPartialHarness(t, map[string]any{"a": "bad"}, specRule("X-001", "a", nil))
	h.client = interceptor.NewClient(h.client.(client.WithWatch), interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			return apierrors.NewForbidden(schema.GroupResource{Group: "s3.services.k8s.aws", Resource: "buckets"}, "b", errors.New("spec.a is owned by another team"))
		},
	})
	h.r.Client, h.r.APIReader, h.r.Governance.Reader = h.client, h.client, h.client
	for i, c := range []struct {
		step time.Duration
		want int
	}{{0, 1}, {10 * time.Minute, 0}, {10 * time.Minute, 0}, {StateEventEvery, 1}} {
		h.clock.Step(c.step)
		if _, err := h.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "b"}}); err == nil {
			t.Fatal("a refused patch did not fail the reconcile")
		}
		if failed := eventsOf(h.events(), ReasonRemediationFailed); len(failed) != c.want {
			t.Errorf("reconcile %d: RemediationFailed Events %q, want %d", i+1, failed, c.want)
		}
	}
}

// TestASuspensionHoldsWhileTheRestIsRefused: a suspension holds one
// field while the API server refuses the fix of another: the object is
// still reported suspended (metric and Report), and the refused fix is
// reported failed for its own rule alone, not for the held one, which was
// not tried.
func TestASuspensionHoldsWhileTheRestIsRefused(t *testing.T) {
	h := newPartialHarness(t, map[string]any{"a": "bad", "b": "ok"},
		specRule("X-001", "a", nil), specRule("X-002", "b", nil))
	h.reconcile()
	h.revert(map[string]any{"a": "bad"})
	if !h.results.suspended || !slices.Equal(h.results.rules, []string{"X-001"}) {
		t.Fatalf("suspended %v for %v, want X-001", h.results.suspended, h.results.rules)
	}
	h.events()
	h.refuseFixOf("b")
	h.set(map[string]any{"b": "bad"})
	h.clock.Step(time.Minute)
	if _, err := h.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "b"}}); err == nil {
		t.Fatal("a refused patch did not fail the reconcile")
	}
	if s := h.spec(); s["a"] != "bad" || s["b"] != "bad" {
		t.Fatalf("spec %v, want both as they were", s)
	}
	if !h.results.suspended || !slices.Equal(h.results.rules, []string{"X-001"}) {
		t.Errorf("reported suspended %v for %v, want X-001 still held", h.results.suspended, h.results.rules)
	}
	if n := testutil.ToFloat64(h.mets.Suspended.WithLabelValues("Bucket")); n != 1 {
		t.Errorf("suspended objects %g, want 1", n)
	}
	failed := eventsOf(h.events(), ReasonRemediationFailed)
	if len(failed) != 1 || strings.Contains(failed[0], "X-001") || !strings.Contains(failed[0], "X-002") {
		t.Errorf("RemediationFailed Events %q, want one naming X-002 alone", failed)
	}
	if n := h.count("X-001", metrics.OutcomeFailed); n != 0 {
		t.Errorf("X-001, held by the suspension, counted failed %g times", n)
	}
}

// refuseFixOf makes the API server refuse every patch that fixes spec's
// field (writes "ok" into it), as a field owned by another team is.
func (h *partialHarness) refuseFixOf(field string) {
	h.client = interceptor.NewClient(h.client.(client.WithWatch), interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			data, _ := patch.Data(obj)
			if strings.Contains(string(data), `"`+field+`":"ok"`) {
				return apierrors.NewForbidden(schema.GroupResource{Group: "s3.services.k8s.aws", Resource: "buckets"}, "b", errors.New("spec."+field+" is owned by another team"))
			}
			return c.Patch(ctx, obj, patch, opts...)
		},
	})
	h.r.Client, h.r.APIReader, h.r.Governance.Reader = h.client, h.client, h.client
}
