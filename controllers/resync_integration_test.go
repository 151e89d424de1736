package controllers_test

import (
	"testing"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/localcluster"
	"github.com/ackguard/ackguard/internal/reports"
	"github.com/ackguard/ackguard/internal/view"
)

// setPolicyAction switches one rule of a policy to an action.
func setPolicyAction(t *testing.T, name, rule string, action v1alpha1.Action) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p := &v1alpha1.GuardrailPolicy{}
		if err := cluster.Client.Get(ctx, client.ObjectKey{Name: name}, p); err != nil {
			return err
		}
		for i := range p.Spec.Rules {
			if p.Spec.Rules[i].ID == rule {
				p.Spec.Rules[i].Action = action
			}
		}
		return cluster.Client.Update(ctx, p)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A rule switched to Enforce fixes the objects that already violate it;
// switched back to Audit, a later revert of the fix stays.
//
// A read-only Bucket beside the one under test is never patched, so its
// report result follows the action the reconciler's governance snapshot
// gives the rule (warn under Audit, fail under Enforce): the test waits for
// it, not for a fixed time, before each step that depends on the snapshot.
func TestPolicyChangeAppliesToExistingObjectsBothWays(t *testing.T) {
	suite.Start(t)
	cluster.WithPolicies(ctx, t, localcluster.Policy("flip", map[string]string{"drift": "flip"}, map[string]v1alpha1.Action{"S3-001": v1alpha1.Audit}))
	ns := cluster.ScopedNamespace(ctx, t, map[string]string{"drift": "flip"})
	probe := openBucket(ns, "probe")
	probe.SetAnnotations(map[string]string{view.AnnotationReadOnly: "true"})
	create(t, probe)
	snapshotActs := func(action v1alpha1.Action, result reportsv1alpha1.Result) {
		t.Helper()
		waitReportResult(t, ns, "probe", "S3-001", func(r reportsv1alpha1.ReportResult) bool {
			return r.Policy == "flip" && r.Result == result && r.Properties[reports.PropertyAction] == string(action)
		})
	}
	snapshotActs(v1alpha1.Audit, reports.ResultWarn)
	create(t, openBucket(ns, "flip"))
	waitReportResult(t, ns, "flip", "S3-001", func(r reportsv1alpha1.ReportResult) bool { return r.Result == "warn" })
	if hasBlockPublicAccess(get(t, ns, "flip")) {
		t.Fatal("fixed while the policy only audits")
	}

	setPolicyAction(t, "flip", "S3-001", v1alpha1.Enforce)
	waitFor(t, ns, "flip", 20*time.Second, hasBlockPublicAccess)
	snapshotActs(v1alpha1.Enforce, reports.ResultFail)

	setPolicyAction(t, "flip", "S3-001", v1alpha1.Audit)
	snapshotActs(v1alpha1.Audit, reports.ResultWarn)
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u := get(t, ns, "flip")
		unstructured.RemoveNestedField(u.Object, "spec", "publicAccessBlock")
		return cluster.Client.Update(ctx, u)
	}); err != nil {
		t.Fatal(err)
	}
	waitReportResult(t, ns, "flip", "S3-001", func(r reportsv1alpha1.ReportResult) bool { return r.Result == "warn" })
	time.Sleep(2 * resyncPeriod) // resync passes judge it again, and still do not fix
	if hasBlockPublicAccess(get(t, ns, "flip")) {
		t.Error("fixed again after the rule was switched back to Audit")
	}
	if hasBlockPublicAccess(get(t, ns, "probe")) {
		t.Error("the read-only Bucket was patched")
	}
}

// driftReconciles sums controller-runtime's reconcile counter of the
// Bucket drift reconciler (this process runs the suite's manager).
func driftReconciles(t *testing.T) float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	name := controllers.ControllerName(view.BucketGVK)
	var sum float64
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			if labelValue(m, "controller") == name {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// With nothing changing, every Bucket is judged again each resync period.
func TestResyncJudgesEveryObjectAgainWithoutEvents(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	create(t, openBucket(ns, "quiet"))
	waitFor(t, ns, "quiet", 20*time.Second, hasBlockPublicAccess)
	time.Sleep(time.Second) // the fix's own watch event is handled
	all := &unstructured.UnstructuredList{}
	all.SetGroupVersionKind(view.BucketGVK.GroupVersion().WithKind("BucketList"))
	if err := cluster.Client.List(ctx, all); err != nil {
		t.Fatal(err)
	}
	before := driftReconciles(t)
	time.Sleep(resyncPeriod*5/2 + time.Second)
	if got := driftReconciles(t) - before; got < float64(len(all.Items)) {
		t.Errorf("%g reconciles in %s of quiet with %d Buckets and a %s resync period; want every Bucket judged again",
			got, resyncPeriod*5/2, len(all.Items), resyncPeriod)
	}
}
