package controllers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clientevents "k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/govsource"
	"github.com/ackguard/ackguard/internal/localcluster"
	"github.com/ackguard/ackguard/internal/metrics"
	"github.com/ackguard/ackguard/internal/rules"
)

func fakeClient(objs ...client.Object) client.Client {
	return fake.NewClientBuilder().WithScheme(localcluster.Scheme()).
		WithObjects(objs...).
		WithStatusSubresource(&v1alpha1.GuardrailPolicy{}, &v1alpha1.GuardrailException{}).
		Build()
}

func TestPolicyStatusCountsAreWrittenOnlyWhenChanged(t *testing.T) {
	p := &v1alpha1.GuardrailPolicy{ObjectMeta: metav1.ObjectMeta{Name: "strict", Generation: 3}}
	c := fakeClient(p)
	counts := map[string]v1alpha1.ResourceCounts{"strict": {Matched: 10, Failing: 4, Remediated: 2}}
	r := &controllers.PolicyStatusReconciler{
		Client: c, Registry: rules.Default(), Resync: 30 * time.Second,
		Counts: func() map[string]v1alpha1.ResourceCounts { return counts },
		Clock:  clocktesting.NewFakePassiveClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)),
	}
	req := ctrl.Request{NamespacedName: types.NamespacedName{Name: "strict"}}
	reconcile := func() *v1alpha1.GuardrailPolicy {
		t.Helper()
		res, err := r.Reconcile(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if res.RequeueAfter != 30*time.Second {
			t.Errorf("requeue after %s, want 30s", res.RequeueAfter)
		}
		got := &v1alpha1.GuardrailPolicy{}
		if err := c.Get(ctx, req.NamespacedName, got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := reconcile()
	if got.Status.Resources != counts["strict"] || got.Status.ObservedGeneration != 3 {
		t.Errorf("status = %+v", got.Status)
	}
	if c := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue || c.Reason != v1alpha1.ReasonValid {
		t.Errorf("ready = %+v", c)
	}
	rv := got.ResourceVersion
	if again := reconcile(); again.ResourceVersion != rv {
		t.Error("unchanged status written again")
	}
	counts["strict"] = v1alpha1.ResourceCounts{Matched: 11, Failing: 3, Remediated: 2}
	if got := reconcile(); got.Status.Resources != counts["strict"] || got.ResourceVersion == rv {
		t.Errorf("changed counts not written: %+v", got.Status.Resources)
	}
}

func TestExceptionIsJudgedAgainAtItsExpiry(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakePassiveClock(start)
	ex := newException("team", "website", start.Add(90*time.Second))
	ex.CreationTimestamp = metav1.NewTime(start.Add(-time.Hour))
	ex.Generation = 1
	ex.Spec.Rules = append(ex.Spec.Rules, "ZZZ-999")
	c := fakeClient(ex)
	r, rec, mets := exceptionReconciler(t, c, clk.Now)
	req := ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "website"}}
	res, err := r.Reconcile(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.RequeueAfter < 90*time.Second || res.RequeueAfter > 91*time.Second {
		t.Errorf("active exception requeued after %s, want just after its expiry in 90s", res.RequeueAfter)
	}
	got := &v1alpha1.GuardrailException{}
	if err := c.Get(ctx, req.NamespacedName, got); err != nil {
		t.Fatal(err)
	}
	cond := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady)
	if got.Status.State != v1alpha1.ExceptionActive || cond == nil || cond.Status != metav1.ConditionTrue || got.Status.ObservedGeneration != 1 {
		t.Errorf("status = %+v", got.Status)
	}
	if !strings.Contains(cond.Message, "ZZZ-999") {
		t.Errorf("message does not mention the unknown rule: %q", cond.Message)
	}
	if len(rec.Events) != 0 {
		t.Errorf("event before expiry: %s", <-rec.Events)
	}

	clk.SetTime(start.Add(90*time.Second + res.RequeueAfter - 90*time.Second))
	res, err = r.Reconcile(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.RequeueAfter != 0 {
		t.Errorf("expired exception requeued after %s", res.RequeueAfter)
	}
	if err := c.Get(ctx, req.NamespacedName, got); err != nil {
		t.Fatal(err)
	}
	cond = meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady)
	if got.Status.State != v1alpha1.ExceptionExpired || cond.Status != metav1.ConditionFalse || cond.Reason != v1alpha1.ReasonExpired {
		t.Errorf("status after expiry = %+v", got.Status)
	}
	select {
	case e := <-rec.Events:
		if !strings.Contains(e, controllers.ReasonExceptionExpired) {
			t.Errorf("event = %q", e)
		}
	default:
		t.Error("no event at expiry")
	}
	if v := testutil.ToFloat64(mets.Exceptions.WithLabelValues(metrics.ExceptionExpired)); v != 1 {
		t.Errorf("expired gauge = %v", v)
	}
	// Judged again: no second event.
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	if len(rec.Events) != 0 {
		t.Errorf("second event: %s", <-rec.Events)
	}
	// Deleted: it leaves the gauge.
	if err := c.Delete(ctx, got); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	if v := testutil.ToFloat64(mets.Exceptions.WithLabelValues(metrics.ExceptionExpired)); v != 0 {
		t.Errorf("expired gauge after delete = %v", v)
	}
}

// An exception that was never in force (invalid, or not yet observed)
// gives no rules back when it runs out: no "apply again" Event.
func TestExceptionNeverInForceExpiresQuietly(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, prev := range []string{v1alpha1.ExceptionInvalid, ""} {
		ex := newException("team", "website", start.Add(-time.Minute))
		ex.CreationTimestamp = metav1.NewTime(start.Add(-time.Hour))
		ex.Status.State = prev
		c := fakeClient(ex)
		r, rec, _ := exceptionReconciler(t, c, clocktesting.NewFakePassiveClock(start).Now)
		req := ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "website"}}
		if _, err := r.Reconcile(ctx, req); err != nil {
			t.Fatal(err)
		}
		got := &v1alpha1.GuardrailException{}
		if err := c.Get(ctx, req.NamespacedName, got); err != nil {
			t.Fatal(err)
		}
		if got.Status.State != v1alpha1.ExceptionExpired {
			t.Errorf("previous state %q: state %q, want Expired", prev, got.Status.State)
		}
		if len(rec.Events) != 0 {
			t.Errorf("previous state %q: event %s", prev, <-rec.Events)
		}
	}
}

// exceptionReconciler is an exception status reconciler over c at the
// clock now, with the recorder and metrics it writes to.
func exceptionReconciler(t *testing.T, c client.Client, now func() time.Time) (*controllers.ExceptionStatusReconciler, *clientevents.FakeRecorder, *metrics.Metrics) {
	t.Helper()
	rec := clientevents.NewFakeRecorder(10)
	mets, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return &controllers.ExceptionStatusReconciler{
		Client: c, Recorder: rec, Metrics: mets, Resync: time.Hour,
		Source: &govsource.Source{Reader: c, Registry: rules.Default(), Now: now},
	}, rec, mets
}

// An invalid exception (its expiry too far after its creation) is judged
// again at its expiry too: from then on it is Expired, in its status and
// in ackguard_exceptions, not Invalid until the next resync.
func TestInvalidExceptionIsJudgedAgainAtItsExpiry(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakePassiveClock(start)
	ex := newException("team", "website", start.Add(90*time.Second))
	// Created longer than the default maximum duration before its expiry.
	ex.CreationTimestamp = metav1.NewTime(start.Add(-governance.DefaultMaxExceptionDuration))
	c := fakeClient(ex)
	r, rec, mets := exceptionReconciler(t, c, clk.Now)
	req := ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "website"}}
	res, err := r.Reconcile(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	got := &v1alpha1.GuardrailException{}
	if err := c.Get(ctx, req.NamespacedName, got); err != nil {
		t.Fatal(err)
	}
	if got.Status.State != v1alpha1.ExceptionInvalid {
		t.Fatalf("state = %q, want Invalid", got.Status.State)
	}
	if res.RequeueAfter < 90*time.Second || res.RequeueAfter > 91*time.Second {
		t.Errorf("invalid exception requeued after %s, want just after its expiry in 90s", res.RequeueAfter)
	}
	clk.SetTime(start.Add(res.RequeueAfter))
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, req.NamespacedName, got); err != nil {
		t.Fatal(err)
	}
	if got.Status.State != v1alpha1.ExceptionExpired {
		t.Errorf("state after the expiry = %q, want Expired", got.Status.State)
	}
	if v := testutil.ToFloat64(mets.Exceptions.WithLabelValues(metrics.ExceptionExpired)); v != 1 {
		t.Errorf("expired gauge = %v, want 1", v)
	}
	if len(rec.Events) != 0 {
		t.Errorf("an exception never in force expired with an event: %s", <-rec.Events)
	}
}

// An exception in force that becomes Invalid before its expiry (a policy
// now allows a shorter maxDuration) gives its rules back: an Invalidated
// Event is recorded, once, as an Expired one is at the expiry.
func TestExceptionInvalidatedRecordsAnEventOnce(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ex := newException("team", "website", start.Add(10*24*time.Hour))
	ex.CreationTimestamp = metav1.NewTime(start.Add(-time.Hour))
	c := fakeClient(ex)
	r, rec, _ := exceptionReconciler(t, c, clocktesting.NewFakePassiveClock(start).Now)
	judge := judgeWebsite(t, r, c)
	judge(v1alpha1.ExceptionActive)
	if len(rec.Events) != 0 {
		t.Fatalf("event while in force: %s", <-rec.Events)
	}

	short := localcluster.Policy("short", nil, nil)
	short.Spec.Exceptions.MaxDuration = &metav1.Duration{Duration: 24 * time.Hour}
	if err := c.Create(ctx, short); err != nil {
		t.Fatal(err)
	}
	judge(v1alpha1.ExceptionInvalid)
	select {
	case e := <-rec.Events:
		for _, want := range []string{"Warning", controllers.ReasonExceptionInvalidated, "S3-001", "TICKET-42", "maximum 24h0m0s"} {
			if !strings.Contains(e, want) {
				t.Errorf("event %q does not say %q", e, want)
			}
		}
	default:
		t.Error("no event when the exception stopped being in force")
	}
	// Judged again, still invalid: no second event.
	judge(v1alpha1.ExceptionInvalid)
	if len(rec.Events) != 0 {
		t.Errorf("second event: %s", <-rec.Events)
	}
}

// A policy with defaultAction Disabled whose listed rules are all unknown
// stays in force (an "off" policy is allowed) and judges nothing: its
// status says so plainly, as the webhook's warning does, besides the
// names it ignores.
func TestPolicyJudgingNothingSaysSo(t *testing.T) {
	p := &v1alpha1.GuardrailPolicy{ObjectMeta: metav1.ObjectMeta{Name: "newer", Generation: 1}}
	p.Spec.DefaultAction = v1alpha1.DefaultAction(v1alpha1.Disabled)
	p.Spec.Rules = []v1alpha1.RuleAction{{ID: "S3-999", Action: v1alpha1.Enforce}}
	c := fakeClient(p)
	r := &controllers.PolicyStatusReconciler{
		Client: c, Registry: rules.Default(), Resync: time.Minute,
		Clock: clocktesting.NewFakePassiveClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)),
	}
	req := ctrl.Request{NamespacedName: types.NamespacedName{Name: "newer"}}
	got := &v1alpha1.GuardrailPolicy{}
	cond := policyReady(t, r, c, req, got)
	if cond == nil || cond.Status != metav1.ConditionTrue || cond.Reason != v1alpha1.ReasonUnknownNamesIgnored {
		t.Fatalf("ready = %+v, want True %s (in force)", cond, v1alpha1.ReasonUnknownNamesIgnored)
	}
	for _, want := range []string{"in force and judges nothing", "replaces the baseline", "S3-999"} {
		if !strings.Contains(cond.Message, want) {
			t.Errorf("message %q does not say %q", cond.Message, want)
		}
	}

	// One known rule listed: it judges that rule, as before.
	p = got
	p.Spec.Rules = append(p.Spec.Rules, v1alpha1.RuleAction{ID: "S3-001", Action: v1alpha1.Enforce})
	p.Generation = 2
	if err := c.Update(ctx, p); err != nil {
		t.Fatal(err)
	}
	cond = policyReady(t, r, c, req, got)
	if cond == nil || cond.Reason != v1alpha1.ReasonUnknownNamesIgnored || strings.Contains(cond.Message, "judges nothing") {
		t.Errorf("with a known rule: ready = %+v", cond)
	}
}

// A policy named baseline that is not in force shares its name with the
// built-in baseline, which then applies in its place: the counts of
// "baseline" are the built-in's, never the object's, and its Ready
// condition says whose they are.
func TestPolicyNamedBaselineNotInForceIsNotCreditedWithTheBuiltIn(t *testing.T) {
	p := &v1alpha1.GuardrailPolicy{ObjectMeta: metav1.ObjectMeta{Name: governance.BaselineName, Generation: 1}}
	p.Spec.Match.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}}
	c := fakeClient(p)
	builtin := v1alpha1.ResourceCounts{Matched: 412, Failing: 9, Remediated: 3}
	r := &controllers.PolicyStatusReconciler{
		Client: c, Registry: rules.Default(), Resync: time.Minute,
		Counts: func() map[string]v1alpha1.ResourceCounts {
			return map[string]v1alpha1.ResourceCounts{governance.BaselineName: builtin}
		},
		Clock: clocktesting.NewFakePassiveClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)),
	}
	req := ctrl.Request{NamespacedName: types.NamespacedName{Name: governance.BaselineName}}
	got := &v1alpha1.GuardrailPolicy{}
	cond := policyReady(t, r, c, req, got)
	if cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != v1alpha1.ReasonInvalid {
		t.Fatalf("ready = %+v, want False %s", cond, v1alpha1.ReasonInvalid)
	}
	if got.Status.Resources != (v1alpha1.ResourceCounts{}) {
		t.Errorf("a policy not in force shows the built-in baseline's counts: %+v", got.Status.Resources)
	}
	for _, want := range []string{"spec.match.namespaceSelector", "built-in baseline", "not this object"} {
		if !strings.Contains(cond.Message, want) {
			t.Errorf("message %q does not say %q", cond.Message, want)
		}
	}

	// Fixed, it is in force and its counts are its own.
	got.Spec.Match.NamespaceSelector = nil
	got.Generation = 2
	if err := c.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	cond = policyReady(t, r, c, req, got)
	if cond == nil || cond.Status != metav1.ConditionTrue || got.Status.Resources != builtin || strings.Contains(cond.Message, "built-in") {
		t.Errorf("in force: ready = %+v, counts %+v", cond, got.Status.Resources)
	}
}

// An exception that was not in force (Invalid) and is in force again (the
// policy that shortened its maximum duration is gone) exempts its rules
// again: a Normal Reactivated Event says so, once.
func TestExceptionReactivatedRecordsAnEventOnce(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ex := newException("team", "website", start.Add(10*24*time.Hour))
	ex.CreationTimestamp = metav1.NewTime(start.Add(-time.Hour))
	short := localcluster.Policy("short", nil, nil)
	short.Spec.Exceptions.MaxDuration = &metav1.Duration{Duration: 24 * time.Hour}
	c := fakeClient(ex, short)
	r, rec, _ := exceptionReconciler(t, c, clocktesting.NewFakePassiveClock(start).Now)
	judge := judgeWebsite(t, r, c)
	judge(v1alpha1.ExceptionInvalid)
	if len(rec.Events) != 0 {
		t.Fatalf("event for an exception never in force: %s", <-rec.Events)
	}

	if err := c.Delete(ctx, short); err != nil {
		t.Fatal(err)
	}
	judge(v1alpha1.ExceptionActive)
	select {
	case e := <-rec.Events:
		for _, want := range []string{"Normal", controllers.ReasonExceptionReactivated, "S3-001", "TICKET-42", "in force"} {
			if !strings.Contains(e, want) {
				t.Errorf("event %q does not say %q", e, want)
			}
		}
		// Invalid from its creation, it was never in force before.
		if strings.Contains(e, "again") {
			t.Errorf("event %q says again of an exception never in force before", e)
		}
	default:
		t.Error("no event when the exception was in force again")
	}
	// Judged again, still in force: no second event.
	judge(v1alpha1.ExceptionActive)
	if len(rec.Events) != 0 {
		t.Errorf("second event: %s", <-rec.Events)
	}
}

// staleReads is a client whose reads of GuardrailExceptions return what
// the first read returned while stale is set, as an informer cache that
// has not yet seen the status patch: writes reach the store.
type staleReads struct {
	client.Client
	stale bool
	first map[client.ObjectKey]*v1alpha1.GuardrailException
}

func (s *staleReads) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	ex, ok := obj.(*v1alpha1.GuardrailException)
	if !ok {
		return s.Client.Get(ctx, key, obj, opts...)
	}
	if old := s.first[key]; old != nil && s.stale {
		old.DeepCopyInto(ex)
		return nil
	}
	if err := s.Client.Get(ctx, key, obj, opts...); err != nil {
		return err
	}
	if s.first == nil {
		s.first = map[client.ObjectKey]*v1alpha1.GuardrailException{}
	}
	if s.first[key] == nil {
		s.first[key] = ex.DeepCopy()
	}
	return nil
}

// A transition is recorded once even when the cache the reconciler reads
// lags its own status patch: judged again from the stale read (still
// Active), the exception's expiry records no second Expired Event.
func TestExceptionTransitionEventOnceDespiteAStaleRead(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ex := newException("team", "website", start.Add(-time.Second))
	ex.CreationTimestamp = metav1.NewTime(start.Add(-time.Hour))
	ex.Status.State = v1alpha1.ExceptionActive
	ex.Status.Conditions = []metav1.Condition{{
		Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonActive,
		Message: "in force", LastTransitionTime: metav1.NewTime(start.Add(-time.Hour)),
	}}
	store := fakeClient(ex)
	c := &staleReads{Client: store, stale: true}
	clk := clocktesting.NewFakePassiveClock(start)
	r, rec, _ := exceptionReconciler(t, c, clk.Now)
	req := ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "website"}}
	for i := range 2 {
		clk.SetTime(start.Add(time.Duration(i) * time.Second))
		res, err := r.Reconcile(ctx, req)
		if err != nil {
			t.Fatalf("reconcile %d: %v", i+1, err)
		}
		if i == 1 && res.RequeueAfter <= 0 {
			t.Error("a reconcile from a stale read is not judged again")
		}
	}
	got := &v1alpha1.GuardrailException{}
	if err := store.Get(ctx, req.NamespacedName, got); err != nil {
		t.Fatal(err)
	}
	if got.Status.State != v1alpha1.ExceptionExpired {
		t.Fatalf("stored state = %q, want Expired", got.Status.State)
	}
	// The cache catches up: judged again, nothing new to say.
	c.stale = false
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Events); n != 1 {
		var all []string
		for range n {
			all = append(all, <-rec.Events)
		}
		t.Fatalf("%d events for one expiry, want 1: %q", n, all)
	}
	if e := <-rec.Events; !strings.Contains(e, controllers.ReasonExceptionExpired) {
		t.Errorf("event = %q", e)
	}
}

// judgeWebsite reconciles the exception team/website and checks the state
// its status then holds.
func judgeWebsite(t *testing.T, r *controllers.ExceptionStatusReconciler, c client.Client) func(want string) {
	req := ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "website"}}
	return func(want string) {
		t.Helper()
		if _, err := r.Reconcile(ctx, req); err != nil {
			t.Fatal(err)
		}
		got := &v1alpha1.GuardrailException{}
		if err := c.Get(ctx, req.NamespacedName, got); err != nil {
			t.Fatal(err)
		}
		if got.Status.State != want {
			t.Fatalf("state = %q, want %q", got.Status.State, want)
		}
	}
}

// policyReady reconciles the policy req names, reads it into got and
// returns its Ready condition.
func policyReady(t *testing.T, r *controllers.PolicyStatusReconciler, c client.Client, req ctrl.Request, got *v1alpha1.GuardrailPolicy) *metav1.Condition {
	t.Helper()
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, req.NamespacedName, got); err != nil {
		t.Fatal(err)
	}
	return meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady)
}
