package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/localcluster"
	"github.com/ackguard/ackguard/internal/metrics"
	"github.com/ackguard/ackguard/internal/reports"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// The suite's own ackguard may run a report store of its own; the store
// these tests start writes under another name so the two never fight over
// one Report.
const (
	testReportName = "ackguard-test"
	testMaxResults = 50
)

var governanceSuite struct {
	once    sync.Once
	store   *reports.Store
	metrics *metrics.Metrics
	err     error
}

// governanceManager starts, once, a manager of its own with a report store
// (fed by the tests, not by reconcilers) and the status controllers.
func governanceManager(t *testing.T) (*reports.Store, *metrics.Metrics) {
	t.Helper()
	g := &governanceSuite
	g.once.Do(func() {
		mgr, err := ctrl.NewManager(cluster.Config, ctrl.Options{
			Scheme:                 localcluster.Scheme(),
			Metrics:                metricsserver.Options{BindAddress: "0"},
			HealthProbeBindAddress: "0",
			// The suite's ackguard may run controllers of the same names.
			Controller: config.Controller{SkipNameValidation: ptr.To(true)},
		})
		if err != nil {
			g.err = err
			return
		}
		if g.metrics, err = metrics.New(nil); err != nil { // the suite's ackguard's collectors
			g.err = err
			return
		}
		g.store = reports.New(mgr.GetClient(), mgr.GetAPIReader(), reports.Options{
			FlushInterval: 200 * time.Millisecond, MaxResults: testMaxResults, Name: testReportName, SweepAfter: -1,
			VerifyEvery: 500 * time.Millisecond,
		})
		if err := mgr.Add(g.store); err != nil {
			g.err = err
			return
		}
		// Status controllers and the exceptions gauge are the suite's
		// ackguard's: a second set would fight it over policy counts.
		go func() {
			if err := mgr.Start(ctx); err != nil {
				fmt.Println("governance test manager:", err)
			}
		}()
	})
	if g.err != nil {
		t.Fatal(g.err)
	}
	return g.store, g.metrics
}

// testBucket returns one of three shapes: public (several denials),
// minimal (no Block Public Access) or locked down.
func testBucket(ns string, i int) *unstructured.Unstructured {
	name := fmt.Sprintf("bucket-%03d", i)
	spec := map[string]any{"name": "ackguard-report-" + ns + "-" + name}
	switch i % 3 {
	case 0:
		spec["acl"] = "public-read"
	case 2:
		spec["publicAccessBlock"] = map[string]any{"blockPublicACLs": true, "ignorePublicACLs": true, "blockPublicPolicy": true, "restrictPublicBuckets": true}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
		"metadata": map[string]any{
			"name": name, "namespace": ns,
			// The suite's reconcilers must not patch them while the test runs.
			"annotations": map[string]any{view.AnnotationReadOnly: "True"},
		},
		"spec": spec,
	}}
}

// summaryOf counts a judgement's results as a report does: one per rule.
func summaryOf(j *governance.Judgement) reportsv1alpha1.ReportSummary {
	var s reportsv1alpha1.ReportSummary
	status := map[string]string{}
	var order []string
	for _, r := range j.Results {
		cur, seen := status[r.RuleID]
		if !seen {
			order = append(order, r.RuleID)
			cur = "skip"
		}
		switch {
		case r.Exception != nil:
		case r.Denies():
			cur = "fail"
		case cur == "skip":
			cur = "warn"
		}
		status[r.RuleID] = cur
	}
	for _, id := range order {
		switch status[id] {
		case "fail":
			s.Fail++
		case "warn":
			s.Warn++
		default:
			s.Skip++
		}
	}
	s.Pass = len(j.Passed)
	return s
}

func addSummary(a, b reportsv1alpha1.ReportSummary) reportsv1alpha1.ReportSummary {
	return reportsv1alpha1.ReportSummary{Pass: a.Pass + b.Pass, Fail: a.Fail + b.Fail, Warn: a.Warn + b.Warn, Error: a.Error + b.Error, Skip: a.Skip + b.Skip}
}

func getReport(t *testing.T, ns string) *reportsv1alpha1.Report {
	t.Helper()
	rep := &reportsv1alpha1.Report{}
	err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: testReportName}, rep)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func waitReport(t *testing.T, ns string, what string, cond func(*reportsv1alpha1.Report) bool) *reportsv1alpha1.Report {
	t.Helper()
	var rep *reportsv1alpha1.Report
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		rep = getReport(t, ns)
		return rep != nil && cond(rep), nil
	})
	if err != nil {
		if rep != nil {
			t.Fatalf("report never %s; last summary %+v with %d results", what, rep.Summary, len(rep.Results))
		}
		t.Fatalf("report never %s; no report", what)
	}
	return rep
}

// TestDeletedOrEditedReportIsWrittenAgain: a report deleted, or changed by
// another writer, is written again though the results of its namespace did
// not change (the store's own fingerprint alone would skip the write).
func TestDeletedOrEditedReportIsWrittenAgain(t *testing.T) {
	suite.Start(t)
	store, _ := governanceManager(t)
	ns := newNamespace(t)
	o := testBucket(ns, 0)
	create(t, o)
	j := governance.New(rules.Default(), governance.Defaults{}, nil, nil).Judge(o.Object, governance.Namespace{Name: ns}, time.Now(), nil)
	want := summaryOf(j)
	if want.Fail == 0 {
		t.Fatalf("a public Bucket judges to %+v", want)
	}
	store.Observe(o, j, nil)
	rep := waitReport(t, ns, "summarised the Bucket", func(r *reportsv1alpha1.Report) bool { return r.Summary == want })

	if err := cluster.Client.Delete(ctx, rep); err != nil {
		t.Fatal(err)
	}
	rep = waitReport(t, ns, "written again after its deletion", func(r *reportsv1alpha1.Report) bool {
		return r.UID != "" && r.UID != rep.UID && r.Summary == want
	})

	edited := rep.DeepCopy()
	edited.Summary = reportsv1alpha1.ReportSummary{}
	edited.Results = nil
	if err := cluster.Client.Update(ctx, edited, client.FieldOwner("someone-else")); err != nil {
		t.Fatal(err)
	}
	waitReport(t, ns, "restored after another writer emptied it", func(r *reportsv1alpha1.Report) bool {
		return r.ResourceVersion != edited.ResourceVersion && r.Summary == want && len(r.Results) > 0
	})
}

func TestReportOfManyResourcesIsOneBoundedReport(t *testing.T) {
	suite.Start(t)
	store, _ := governanceManager(t)
	ns := newNamespace(t)
	const n = 300
	objs := make([]*unstructured.Unstructured, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			o := testBucket(ns, i)
			if err := cluster.Client.Create(ctx, o); err != nil {
				errs <- err
				return
			}
			objs[i] = o
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	eng := governance.New(rules.Default(), governance.Defaults{}, nil, nil)
	judgements := make([]*governance.Judgement, n)
	var want reportsv1alpha1.ReportSummary
	for i, o := range objs {
		if o.GetUID() == "" {
			t.Fatalf("%s has no UID", o.GetName())
		}
		judgements[i] = eng.Judge(o.Object, governance.Namespace{Name: ns}, time.Now(), nil)
		want = addSummary(want, summaryOf(judgements[i]))
		store.Observe(o, judgements[i], nil)
	}
	if want.Fail == 0 || want.Pass == 0 {
		t.Fatalf("test buckets judge to %+v: want failures and passes", want)
	}
	total := want.Pass + want.Fail + want.Warn + want.Skip

	rep := waitReport(t, ns, "summarised every result", func(r *reportsv1alpha1.Report) bool { return r.Summary == want })

	var list reportsv1alpha1.ReportList
	if err := cluster.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, r := range list.Items {
		// Besides ours, only the suite's own ackguard's report may exist.
		if r.Name != testReportName && r.Name != reports.DefaultName {
			t.Errorf("unexpected report %s", r.Name)
		}
	}
	if len(list.Items) > 2 {
		t.Errorf("%d reports in the namespace", len(list.Items))
	}
	if len(rep.Results) == 0 || len(rep.Results) > testMaxResults {
		t.Errorf("%d results, want 1..%d", len(rep.Results), testMaxResults)
	}
	if rep.Annotations[reports.AnnotationOmitted] != fmt.Sprint(total-len(rep.Results)) {
		t.Errorf("omitted = %q, want %d", rep.Annotations[reports.AnnotationOmitted], total-len(rep.Results))
	}
	if rep.Configuration == nil || rep.Configuration.Limits.MaxResults != testMaxResults {
		t.Errorf("configuration = %+v", rep.Configuration)
	}
	if rep.Labels[reports.LabelManagedBy] != reports.ManagedBy || rep.Source != reports.Source {
		t.Errorf("labels %v, source %q", rep.Labels, rep.Source)
	}
	if rep.Results[0].Result != reports.ResultFail {
		t.Errorf("first result is %s", rep.Results[0].Result)
	}
	seenOther := false
	for _, r := range rep.Results {
		if r.Result != reports.ResultFail {
			seenOther = true
		} else if seenOther {
			t.Errorf("fail result for %s %s after other results", r.Subjects[0].Name, r.Rule)
		}
		if len(r.Subjects) != 1 || r.Subjects[0].UID == "" || r.Subjects[0].Namespace != ns {
			t.Errorf("subjects = %+v", r.Subjects)
		}
	}
	if n := min(want.Fail, testMaxResults); countResults(rep, reports.ResultFail) != n {
		t.Errorf("%d fail results kept, want %d", countResults(rep, reports.ResultFail), n)
	}

	// Judged again, unchanged: the report is not rewritten.
	rv := rep.ResourceVersion
	for i, o := range objs {
		store.Observe(o, judgements[i], nil)
	}
	time.Sleep(time.Second) // five flushes
	if got := getReport(t, ns); got.ResourceVersion != rv {
		t.Errorf("unchanged report rewritten: resourceVersion %s -> %s", rv, got.ResourceVersion)
	}

	// Every object gone: the report stays, empty.
	for _, o := range objs {
		store.Forget(o.GroupVersionKind(), types.NamespacedName{Namespace: ns, Name: o.GetName()})
	}
	waitReport(t, ns, "emptied", func(r *reportsv1alpha1.Report) bool {
		return r.Summary == reportsv1alpha1.ReportSummary{} && len(r.Results) == 0
	})
}

func countResults(rep *reportsv1alpha1.Report, status reportsv1alpha1.Result) int {
	n := 0
	for _, r := range rep.Results {
		if r.Result == status {
			n++
		}
	}
	return n
}

func newException(ns, name string, expires time.Time) *v1alpha1.GuardrailException {
	return &v1alpha1.GuardrailException{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.GuardrailExceptionSpec{
			Rules:     []string{"S3-001"},
			Resources: []v1alpha1.ResourceRef{{APIGroup: "s3.services.k8s.aws", Kind: "Bucket", Name: "website"}},
			Reason:    "TICKET-42: public website bucket",
			ExpiresAt: metav1.NewTime(expires),
		},
	}
}

func waitException(t *testing.T, ns, name string, timeout time.Duration, cond func(*v1alpha1.GuardrailException) bool) *v1alpha1.GuardrailException {
	t.Helper()
	ex := &v1alpha1.GuardrailException{}
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ex); err != nil {
			return false, err
		}
		return cond(ex), nil
	})
	if err != nil {
		t.Fatalf("exception %s/%s: %v; last status %+v", ns, name, err, ex.Status)
	}
	return ex
}

func TestExceptionExpiresOnTime(t *testing.T) {
	suite.Start(t)
	_, mets := governanceManager(t)
	ns := newNamespace(t)
	// The API keeps whole seconds: expire 5 to 6 seconds from now, time
	// enough for a loaded machine to report the exception active first.
	expires := time.Now().Add(6 * time.Second).Truncate(time.Second)
	ex := newException(ns, "website", expires)
	create(t, ex)
	active := waitException(t, ns, "website", time.Until(expires), func(e *v1alpha1.GuardrailException) bool {
		return e.Status.State == v1alpha1.ExceptionActive
	})
	if time.Now().After(expires) {
		t.Fatal("the test was too slow to see the exception active")
	}
	cond := meta.FindStatusCondition(active.Status.Conditions, v1alpha1.ConditionReady)
	if cond == nil || cond.Status != metav1.ConditionTrue || cond.Reason != v1alpha1.ReasonActive || active.Status.ObservedGeneration != active.Generation {
		t.Errorf("active status = %+v", active.Status)
	}

	expired := waitException(t, ns, "website", time.Until(expires)+3*time.Second, func(e *v1alpha1.GuardrailException) bool {
		return e.Status.State == v1alpha1.ExceptionExpired
	})
	if late := time.Since(expires); late > 2*time.Second {
		t.Errorf("seen expired %s after the expiry", late)
	}
	cond = meta.FindStatusCondition(expired.Status.Conditions, v1alpha1.ConditionReady)
	if cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != v1alpha1.ReasonExpired || !strings.Contains(cond.Message, "expired") {
		t.Errorf("expired condition = %+v", cond)
	}
	notes := waitEvent(t, ns, "website", controllers.ReasonExceptionExpired)
	if !strings.Contains(notes[0], "S3-001") || !strings.Contains(notes[0], "TICKET-42") {
		t.Errorf("event note = %q", notes[0])
	}
	waitGauge(t, mets, metrics.ExceptionExpired)
}

func TestExceptionBeyondTheMaximumDurationIsInvalid(t *testing.T) {
	suite.Start(t)
	_, mets := governanceManager(t)
	ns := newNamespace(t)
	ex := newException(ns, "forever", time.Now().Add(100*24*time.Hour))
	create(t, ex)
	got := waitException(t, ns, "forever", 20*time.Second, func(e *v1alpha1.GuardrailException) bool {
		return e.Status.State != ""
	})
	cond := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady)
	if got.Status.State != v1alpha1.ExceptionInvalid || cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != v1alpha1.ReasonInvalid {
		t.Errorf("status = %+v", got.Status)
	}
	waitGauge(t, mets, metrics.ExceptionInvalid)
}

// waitGauge waits until ackguard_exceptions counts an exception in the
// state (the status and the gauge are not written at the same instant).
func waitGauge(t *testing.T, mets *metrics.Metrics, state string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		return testutil.ToFloat64(mets.Exceptions.WithLabelValues(state)) >= 1, nil
	})
	if err != nil {
		t.Errorf("ackguard_exceptions{state=%s} = %v", state, testutil.ToFloat64(mets.Exceptions.WithLabelValues(state)))
	}
}

func waitPolicy(t *testing.T, name string, cond func(*v1alpha1.GuardrailPolicy) bool) *v1alpha1.GuardrailPolicy {
	t.Helper()
	p := &v1alpha1.GuardrailPolicy{}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		if err := cluster.Client.Get(ctx, client.ObjectKey{Name: name}, p); err != nil {
			return false, err
		}
		return cond(p), nil
	})
	if err != nil {
		t.Fatalf("policy %s: %v; last status %+v", name, err, p.Status)
	}
	return p
}

func readyIs(status metav1.ConditionStatus, reason string) func(*v1alpha1.GuardrailPolicy) bool {
	return func(p *v1alpha1.GuardrailPolicy) bool {
		c := meta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionReady)
		return c != nil && c.Status == status && c.Reason == reason && p.Status.ObservedGeneration == p.Generation
	}
}

// The suite's ackguard keeps each policy's status: Ready with a reason,
// observedGeneration, and the counts of its report store (a read-only
// bucket without Block Public Access: matched and failing).
func TestPolicyStatusSaysWhetherItIsValid(t *testing.T) {
	suite.Start(t)
	scope := map[string]string{"policy-status-test": "one"}
	invalid := localcluster.Policy("status-invalid", nil, nil)
	invalid.Spec.Match.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}}
	valid := localcluster.Policy("status-valid", scope, nil)
	cluster.WithPolicies(ctx, t, invalid, valid)
	ns := cluster.ScopedNamespace(ctx, t, scope)
	create(t, testBucket(ns, 1))

	got := waitPolicy(t, invalid.Name, readyIs(metav1.ConditionFalse, v1alpha1.ReasonInvalid))
	if c := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady); !strings.Contains(c.Message, "spec.match.namespaceSelector") {
		t.Errorf("invalid policy's message = %q", c.Message)
	}
	got = waitPolicy(t, valid.Name, readyIs(metav1.ConditionTrue, v1alpha1.ReasonValid))
	if got.Status.ObservedGeneration != 1 {
		t.Errorf("observedGeneration = %d", got.Status.ObservedGeneration)
	}
	want := v1alpha1.ResourceCounts{Matched: 1, Failing: 1, Remediated: 0}
	waitPolicy(t, valid.Name, func(p *v1alpha1.GuardrailPolicy) bool { return p.Status.Resources == want })

	// Given a rule it does not know, then fixed: the status follows each
	// generation.
	s3001 := governance.CatalogAction(rules.Default().Rule("S3-001"))
	updatePolicy(t, valid.Name, func(p *v1alpha1.GuardrailPolicy) {
		p.Spec.Rules = []v1alpha1.RuleAction{{ID: "S3-001", Action: s3001}, {ID: "ZZZ-998", Action: v1alpha1.Audit}}
	})
	// A rule of a newer version: still in force, the name is ignored.
	got = waitPolicy(t, valid.Name, readyIs(metav1.ConditionTrue, v1alpha1.ReasonUnknownNamesIgnored))
	if got.Status.ObservedGeneration != 2 {
		t.Errorf("observedGeneration = %d, want 2", got.Status.ObservedGeneration)
	}
	if c := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady); !strings.Contains(c.Message, "ZZZ-998") {
		t.Errorf("message = %q, want the ignored rule named", c.Message)
	}
	updatePolicy(t, valid.Name, func(p *v1alpha1.GuardrailPolicy) { p.Spec.Rules = p.Spec.Rules[:1] })
	waitPolicy(t, valid.Name, readyIs(metav1.ConditionTrue, v1alpha1.ReasonValid))

	// Its kinds misspelt, it selects nothing: not in force, and says so.
	updatePolicy(t, valid.Name, func(p *v1alpha1.GuardrailPolicy) {
		p.Spec.Match.Kinds = []v1alpha1.KindRef{{APIGroup: "s3.services.k8s.aws", Kind: "Buckets"}}
	})
	got = waitPolicy(t, valid.Name, readyIs(metav1.ConditionFalse, v1alpha1.ReasonSelectsNoKind))
	if c := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady); !strings.Contains(c.Message, "not in force") || !strings.Contains(c.Message, "Buckets.s3.services.k8s.aws") {
		t.Errorf("message = %q, want the policy said not in force and the kind named", c.Message)
	}
	// One guarded kind beside it: in force for that kind.
	updatePolicy(t, valid.Name, func(p *v1alpha1.GuardrailPolicy) {
		p.Spec.Match.Kinds = append(p.Spec.Match.Kinds, v1alpha1.KindRef{APIGroup: "s3.services.k8s.aws", Kind: "Bucket"})
	})
	waitPolicy(t, valid.Name, readyIs(metav1.ConditionTrue, v1alpha1.ReasonUnknownNamesIgnored))
}

// updatePolicy changes a policy's spec, reading it again on a conflict
// with the status writer.
func updatePolicy(t *testing.T, name string, change func(*v1alpha1.GuardrailPolicy)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p := &v1alpha1.GuardrailPolicy{}
		if err := cluster.Client.Get(ctx, client.ObjectKey{Name: name}, p); err != nil {
			return err
		}
		change(p)
		return cluster.Client.Update(ctx, p)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A namespace of 10,000 Buckets is reported by one Report on the API
// server, at the default bound of results and within its byte bound:
// every result names its Bucket, no scope, every failure kept before any
// pass (fewer Buckets fail than the bound holds), the summary counts all
// 10,000. The Buckets are observed, not created: the report's size and
// shape depend on the judgements alone, and the API server stores it.
func TestReportOfTenThousandBucketsIsBoundedOnTheAPIServer(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	const name = "ackguard-scale"
	store := reports.New(cluster.Client, cluster.Client, reports.Options{FlushInterval: 200 * time.Millisecond, Name: name, SweepAfter: -1})
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- store.Start(sctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("report store: %v", err)
		}
	}()

	const n = 10000
	eng := governance.New(rules.Default(), governance.Defaults{}, nil, nil)
	var want reportsv1alpha1.ReportSummary
	failing := 0
	judged := map[int]*governance.Judgement{}
	for i := range n {
		shape := 2 // locked down
		if i%60 == 0 {
			shape = 0 // public: one in 60
		}
		o := testBucket(ns, shape)
		o.SetName(fmt.Sprintf("bucket-%05d", i))
		o.SetUID(types.UID(fmt.Sprintf("00000000-0000-0000-0000-%012d", i)))
		j := judged[shape]
		if j == nil { // one judgement per shape: the names do not change it
			j = eng.Judge(o.Object, governance.Namespace{Name: ns}, time.Now(), nil)
			judged[shape] = j
		}
		s := summaryOf(j)
		if s.Fail > 0 {
			failing++
		}
		want = addSummary(want, s)
		store.Observe(o, j, nil)
	}
	if failing == 0 || failing >= reports.DefaultMaxResults {
		t.Fatalf("%d of %d Buckets fail: the test needs some, fewer than the bound of %d", failing, n, reports.DefaultMaxResults)
	}

	var rep *reportsv1alpha1.Report
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
		r := &reportsv1alpha1.Report{}
		if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, r); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		rep = r
		return r.Summary == want, nil
	})
	if err != nil {
		t.Fatalf("the report never summarised %+v: %v (last %+v)", want, err, rep)
	}
	var list reportsv1alpha1.ReportList
	if err := cluster.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Errorf("%d reports in the namespace, want 1", len(list.Items))
	}
	if rep.Scope != nil {
		t.Errorf("scope = %+v, want none", rep.Scope)
	}
	if len(rep.Results) != reports.DefaultMaxResults {
		t.Errorf("%d results, want the bound %d", len(rep.Results), reports.DefaultMaxResults)
	}
	if size, err := json.Marshal(rep); err != nil || len(size) > 1<<20 {
		t.Errorf("the stored report is %d bytes (%v), want at most 1 MiB", len(size), err)
	}
	seenPass, failures := false, map[string]bool{}
	for i, r := range rep.Results {
		if len(r.Subjects) != 1 || r.Subjects[0].Kind != "Bucket" || r.Subjects[0].Namespace != ns || r.Subjects[0].UID == "" {
			t.Fatalf("result %d names %+v", i, r.Subjects)
		}
		switch {
		case r.Result == reports.ResultPass:
			seenPass = true
		case seenPass:
			t.Fatalf("result %d (%s) after a pass", i, r.Result)
		case r.Result == reports.ResultFail:
			failures[r.Subjects[0].Name] = true
		}
	}
	if len(failures) != failing {
		t.Errorf("the report names %d failing Buckets, want all %d", len(failures), failing)
	}
	data, _ := json.Marshal(rep)
	t.Logf("%d Buckets, %d failing: one Report of %d results, %d bytes", n, failing, len(rep.Results), len(data))
}

// An exception in force whose namespace is relabelled under a policy
// allowing a shorter maxDuration becomes Invalid, and an Invalidated
// Event says its rules apply again.
func TestExceptionInvalidatedByARelabelledNamespaceRecordsAnEvent(t *testing.T) {
	suite.Start(t)
	governanceManager(t)
	short := localcluster.Policy("short-exceptions", map[string]string{"exceptions": "short"}, nil)
	short.Spec.Exceptions.MaxDuration = &metav1.Duration{Duration: 24 * time.Hour}
	cluster.WithPolicies(ctx, t, short)
	ns := cluster.ScopedNamespace(ctx, t, nil)
	create(t, newException(ns, "website", time.Now().Add(10*24*time.Hour)))
	waitException(t, ns, "website", 20*time.Second, func(e *v1alpha1.GuardrailException) bool {
		return e.Status.State == v1alpha1.ExceptionActive
	})

	relabelNamespace(t, ns, func(labels map[string]string) { labels["exceptions"] = "short" })
	waitException(t, ns, "website", 20*time.Second, func(e *v1alpha1.GuardrailException) bool {
		return e.Status.State == v1alpha1.ExceptionInvalid
	})
	notes := waitEvent(t, ns, "website", controllers.ReasonExceptionInvalidated)
	if !strings.Contains(notes[0], "S3-001") || !strings.Contains(notes[0], "TICKET-42") || !strings.Contains(notes[0], "24h0m0s") {
		t.Errorf("event note = %q", notes[0])
	}
}

// An exception Invalid under a policy allowing a shorter maxDuration
// whose namespace is relabelled out of that policy's reach is in force
// again, and a Normal Reactivated Event says its rules are exempted again.
func TestExceptionReactivatedByARelabelledNamespaceRecordsAnEvent(t *testing.T) {
	suite.Start(t)
	governanceManager(t)
	short := localcluster.Policy("short-exceptions-again", map[string]string{"exceptions": "short-again"}, nil)
	short.Spec.Exceptions.MaxDuration = &metav1.Duration{Duration: 24 * time.Hour}
	cluster.WithPolicies(ctx, t, short)
	ns := cluster.ScopedNamespace(ctx, t, map[string]string{"exceptions": "short-again"})
	// Created while the governance webhook was down: the suite runs none.
	create(t, newException(ns, "website", time.Now().Add(10*24*time.Hour)))
	waitException(t, ns, "website", 20*time.Second, func(e *v1alpha1.GuardrailException) bool {
		return e.Status.State == v1alpha1.ExceptionInvalid
	})

	relabelNamespace(t, ns, func(labels map[string]string) { delete(labels, "exceptions") })
	waitException(t, ns, "website", 20*time.Second, func(e *v1alpha1.GuardrailException) bool {
		return e.Status.State == v1alpha1.ExceptionActive
	})
	notes := waitEvent(t, ns, "website", controllers.ReasonExceptionReactivated)
	if len(notes) != 1 || !strings.Contains(notes[0], "S3-001") || !strings.Contains(notes[0], "TICKET-42") {
		t.Errorf("event notes = %q", notes)
	}
	var list eventsv1.EventList
	if err := cluster.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, e := range list.Items {
		if e.Reason == controllers.ReasonExceptionReactivated && e.Type != corev1.EventTypeNormal {
			t.Errorf("%s event of type %s, want %s", e.Reason, e.Type, corev1.EventTypeNormal)
		}
	}
}

// relabelNamespace changes the labels of the namespace ns through edit.
func relabelNamespace(t *testing.T, ns string, edit func(labels map[string]string)) {
	t.Helper()
	namespace := &corev1.Namespace{}
	if err := cluster.Client.Get(ctx, client.ObjectKey{Name: ns}, namespace); err != nil {
		t.Fatal(err)
	}
	if namespace.Labels == nil {
		namespace.Labels = map[string]string{}
	}
	edit(namespace.Labels)
	if err := cluster.Client.Update(ctx, namespace); err != nil {
		t.Fatal(err)
	}
}
