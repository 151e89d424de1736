package controllers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/localcluster"
	"github.com/ackguard/ackguard/internal/reports"
	"github.com/ackguard/ackguard/internal/view"
)

// openBucket fails S3-001 (no Block Public Access; catalog: deny/fix).
func openBucket(ns, name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1",
		"kind":       "Bucket",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec":       map[string]any{"name": "ackguard-gov-" + name},
	}}
}

func hasBlockPublicAccess(u *unstructured.Unstructured) bool {
	pab, _, _ := unstructured.NestedMap(u.Object, "spec", "publicAccessBlock")
	return pab["restrictPublicBuckets"] == true
}

// The reconciler leaves alone what a namespace's policy only audits, fixes
// what another enforces, and honours an exception until it expires.
func TestPoliciesAndExceptionsDecideWhatIsFixed(t *testing.T) {
	suite.Start(t)
	cluster.WithPolicies(ctx, t,
		localcluster.Policy("drift-audit", map[string]string{"drift": "audit"}, map[string]v1alpha1.Action{"S3-001": v1alpha1.Audit}),
		localcluster.Policy("drift-enforce", map[string]string{"drift": "enforce"}, map[string]v1alpha1.Action{"S3-001": v1alpha1.Enforce}),
	)
	audited := cluster.ScopedNamespace(ctx, t, map[string]string{"drift": "audit"})
	enforced := cluster.ScopedNamespace(ctx, t, map[string]string{"drift": "enforce"})

	// Stored to the second: the exception lapses at the truncated time,
	// late enough for the checks below to see it in force on a loaded
	// machine under the race detector. It exempts a read-only probe too.
	expiry := time.Now().Add(20 * time.Second).Truncate(time.Second)
	ex := &v1alpha1.GuardrailException{
		ObjectMeta: metav1.ObjectMeta{Name: "public-site", Namespace: enforced},
		Spec: v1alpha1.GuardrailExceptionSpec{
			Rules: []string{"S3-001"},
			Resources: []v1alpha1.ResourceRef{
				{APIGroup: "s3.services.k8s.aws", Kind: "Bucket", Name: "exempt"},
				{APIGroup: "s3.services.k8s.aws", Kind: "Bucket", Name: "exempt-probe"},
			},
			Reason:    "SEC-42: public downloads until the CDN is ready",
			ExpiresAt: metav1.NewTime(expiry),
		},
	}
	create(t, ex)
	// The reconcilers' governance must hold the policies and the
	// exception before the buckets appear: read-only probes (never
	// patched) report what it makes of them.
	snapshotHolds(t, audited, "audit-probe", nil, func(r reportsv1alpha1.ReportResult) bool {
		return r.Result == "warn" && r.Policy == "drift-audit"
	})
	snapshotHolds(t, enforced, "exempt-probe", nil, func(r reportsv1alpha1.ReportResult) bool {
		return r.Result == "skip" && r.Properties[reports.PropertyException] == enforced+"/public-site"
	})
	for _, b := range []*unstructured.Unstructured{openBucket(audited, "audited"), openBucket(enforced, "fixed"), openBucket(enforced, "exempt")} {
		create(t, b)
	}

	waitFor(t, enforced, "fixed", 20*time.Second, hasBlockPublicAccess)
	if notes := waitEvent(t, enforced, "fixed", controllers.ReasonRemediated); !containsAll(notes[0], "S3-001", "policy drift-enforce") {
		t.Errorf("Remediated event %q does not name the rule and the policy", notes[0])
	}
	if got := get(t, audited, "audited"); hasBlockPublicAccess(got) {
		t.Error("an audited finding was fixed")
	}
	if got := get(t, enforced, "exempt"); hasBlockPublicAccess(got) {
		t.Error("an exempted bucket was fixed before its exception expired")
	}
	// The namespace's Report says the exempted bucket is skipped, naming
	// the exception.
	waitReportResult(t, enforced, "exempt", "S3-001", func(r reportsv1alpha1.ReportResult) bool {
		return r.Result == "skip" && r.Properties[reports.PropertyException] == enforced+"/public-site"
	})
	// The exception expires: the reconciler fixes the bucket without any
	// change to it.
	if time.Now().After(expiry) {
		t.Fatalf("the test was too slow to observe the exception in force")
	}
	got := waitFor(t, enforced, "exempt", time.Until(expiry)+20*time.Second, hasBlockPublicAccess)
	if time.Now().Before(expiry) {
		t.Errorf("fixed at %s, before the exception expired at %s: %v", time.Now(), expiry, got.Object["spec"])
	}
	waitReportResult(t, enforced, "exempt", "S3-001", func(r reportsv1alpha1.ReportResult) bool { return r.Result == "pass" })
	waitReportResult(t, audited, "audited", "S3-001", func(r reportsv1alpha1.ReportResult) bool {
		return r.Result == "warn" && r.Policy == "drift-audit"
	})
	if got := get(t, audited, "audited"); hasBlockPublicAccess(got) {
		t.Error("an audited finding was fixed")
	}
}

// snapshotHolds creates a read-only Bucket without Block Public Access
// (the reconciler judges it and never patches it), with the labels, and
// waits until its S3-001 result in the namespace's Report satisfies ok: a
// test then knows the reconcilers' governance snapshot holds the policies
// and exceptions it made, instead of sleeping for it.
func snapshotHolds(t *testing.T, ns, name string, labels map[string]string, ok func(reportsv1alpha1.ReportResult) bool) {
	t.Helper()
	probe := openBucket(ns, name)
	probe.SetAnnotations(map[string]string{view.AnnotationReadOnly: "true"})
	probe.SetLabels(labels)
	create(t, probe)
	waitReportResult(t, ns, name, "S3-001", ok)
}

// waitReportResult waits until the namespace's ackguard Report holds a
// result for the object and rule that satisfies ok.
func waitReportResult(t *testing.T, ns, name, rule string, ok func(reportsv1alpha1.ReportResult) bool) {
	t.Helper()
	var last []reportsv1alpha1.ReportResult
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		rep := &reportsv1alpha1.Report{}
		if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: reports.DefaultName}, rep); err != nil {
			return false, nil
		}
		last = rep.Results
		for _, r := range rep.Results {
			for _, sub := range r.Subjects {
				if sub.Name == name && r.Rule == rule && ok(r) {
					return true, nil
				}
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no matching %s result for %s/%s in the Report; results: %+v", rule, ns, name, last)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// A label added later brings an object under a policy: the reconciler
// judges it again at once (labels are not part of the generation).
func TestLabelChangeBringsAnObjectUnderAPolicy(t *testing.T) {
	suite.Start(t)
	web := localcluster.Policy("label-web", map[string]string{"drift": "labels"}, map[string]v1alpha1.Action{"S3-001": v1alpha1.Enforce})
	web.Spec.Match.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	cluster.WithPolicies(ctx, t, web)
	ns := cluster.ScopedNamespace(ctx, t, map[string]string{"drift": "labels"})
	snapshotHolds(t, ns, "web-probe", map[string]string{"app": "web"}, func(r reportsv1alpha1.ReportResult) bool {
		return r.Result == "fail" && r.Policy == "label-web"
	})
	create(t, openBucket(ns, "later"))
	time.Sleep(2 * time.Second)
	if hasBlockPublicAccess(get(t, ns, "later")) {
		t.Fatal("fixed although no policy selects it")
	}
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u := get(t, ns, "later")
		u.SetLabels(map[string]string{"app": "web"})
		return cluster.Client.Update(ctx, u)
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ns, "later", 20*time.Second, hasBlockPublicAccess)
}
