package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/localcluster"
	"github.com/ackguard/ackguard/internal/manager"
	"github.com/ackguard/ackguard/internal/policy"
	"github.com/ackguard/ackguard/internal/reports"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/testenv"
	"github.com/ackguard/ackguard/internal/view"
)

// The reconciler suite runs the drift reconcilers alone (no webhook) against
// a real kube-apiserver, so tests can create drifted objects directly. The
// control plane and ackguard start with the first test that calls
// suite.Start (every test that talks to the API server does, first); the
// others run without them.
var (
	suite = testenv.New(testenv.Options{Name: "reconciler suite", Setup: setupSuite})
	// cluster and ctx are set once the control plane runs.
	cluster *localcluster.Cluster
	ctx     context.Context
	// metricsAddr is where the suite's ackguard serves Prometheus metrics.
	metricsAddr string
	// ackguard is the suite's manager.
	ackguard *manager.Manager
	// managerDone yields the suite's manager's exit error.
	managerDone <-chan error
	// lateCRD is an ACK CRD installed only after ackguard started.
	lateCRD *apiextensionsv1.CustomResourceDefinition
)

// lateCRDName names the ACK CRD the suite withholds until a test installs it.
const lateCRDName = "dbclusters.rds.services.k8s.aws"

// maxAttempts is small so the GitOps-fight test is quick.
const maxAttempts = 2

// backoff is the suite's least time between two fixes of one object.
const backoff = time.Second

// patchesPerSecond bounds the suite's fixes.
const patchesPerSecond = 50

// resyncPeriod is short so the resync tests see several passes.
const resyncPeriod = 3 * time.Second

func TestMain(m *testing.M) { os.Exit(suite.Run(m)) }

// setupSuite starts ackguard's reconcilers against the control plane.
func setupSuite(sctx context.Context, c *localcluster.Cluster) error {
	cluster, ctx = c, sctx
	opts := cluster.ManagerOptions()
	opts.EnableWebhook = false
	opts.RemediationMaxAttempts = maxAttempts
	opts.ResyncPeriod = resyncPeriod
	opts.RemediationBackoff = backoff
	opts.MaxPatchesPerSecond = patchesPerSecond
	// Tests wait for the Events they cause, and the suite's short resync
	// period re-records those of every read-only or unfixable object each
	// pass, thousands in a run: bounded, the Event a test waits for could
	// be dropped. The bound itself is BoundedRecorder's test.
	opts.EventQPS = 0
	var err error
	if metricsAddr, err = localcluster.FreeAddr(); err != nil {
		return err
	}
	opts.MetricsAddr = metricsAddr
	if lateCRD, err = uninstallCRD(sctx, lateCRDName); err != nil {
		return err
	}
	// ackguard's own CRDs too are installed after it started: every
	// policy and exception test proves they are picked up without a
	// restart.
	var own []*apiextensionsv1.CustomResourceDefinition
	for _, name := range []string{"guardrailpolicies.policy.ackguard.dev", "guardrailexceptions.policy.ackguard.dev"} {
		crd, err := uninstallCRD(sctx, name)
		if err != nil {
			return err
		}
		own = append(own, crd)
	}
	if ackguard, managerDone, err = cluster.StartAckguard(ctx, opts); err != nil {
		return err
	}
	if err := wait.PollUntilContextTimeout(sctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return len(ackguard.Kinds.Started()) > 0, nil
	}); err != nil {
		return fmt.Errorf("ackguard watches no kind: %w", err)
	}
	if ackguard.Governed() {
		return fmt.Errorf("ackguard says it watches policies before their CRD is installed")
	}
	for _, crd := range own {
		if err := cluster.Client.Create(sctx, crd); err != nil {
			return err
		}
	}
	return wait.PollUntilContextTimeout(sctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return ackguard.Governed(), nil
	})
}

func newNamespace(t *testing.T) string {
	t.Helper()
	suite.Start(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "drift-"}}
	create(t, ns)
	return ns.Name
}

// removeBucketsAfter deletes the namespaces' Buckets when the test ends.
// envtest runs no namespace controller, so a namespace's objects outlive
// the test; a test that makes hundreds removes them, or every later test
// shares the reconciler with them (each resync judges them all again).
func removeBucketsAfter(t *testing.T, namespaces ...string) {
	t.Helper()
	t.Cleanup(func() {
		for _, ns := range namespaces {
			all := &unstructured.Unstructured{}
			all.SetGroupVersionKind(view.BucketGVK)
			if err := cluster.Client.DeleteAllOf(context.Background(), all, client.InNamespace(ns)); err != nil {
				t.Errorf("removing the Buckets of %s: %v", ns, err)
			}
		}
	})
}

const statementA = `{
        "Sid": "ReportsWriter",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:role/reports"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::%[1]s/*"
      }`

const statementB = `{"Sid":"AuditorRead","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/audit"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*"]}`

func drifted(ns, name string) *unstructured.Unstructured {
	bn := "ackguard-drift-" + name
	policy := fmt.Sprintf("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n      "+statementA+",\n      "+statementB+"\n  ]\n}", bn)
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1",
		"kind":       "Bucket",
		"metadata":   map[string]any{"name": name, "namespace": ns, "labels": map[string]any{"app": "reports"}},
		"spec": map[string]any{
			"name": bn,
			"publicAccessBlock": map[string]any{
				"blockPublicACLs": true, "ignorePublicACLs": false, "blockPublicPolicy": false,
			},
			"acl":             "public-read",
			"grantRead":       `id=0123456789abcdef, uri="http://acs.amazonaws.com/groups/global/AllUsers"`,
			"policy":          policy,
			"tagging":         map[string]any{"tagSet": []any{map[string]any{"key": "team", "value": "finance"}}},
			"versioning":      map[string]any{"status": "Enabled"},
			"someFutureField": map[string]any{"nested": []any{"kept", int64(1)}},
		},
	}}
}

func get(t *testing.T, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(view.BucketGVK)
	if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatal(err)
	}
	return u
}

// waitFor polls the object until cond holds.
func waitFor(t *testing.T, ns, name string, timeout time.Duration, cond func(*unstructured.Unstructured) bool) *unstructured.Unstructured {
	t.Helper()
	var last *unstructured.Unstructured
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		last = get(t, ns, name)
		return cond(last), nil
	})
	if err != nil {
		t.Fatalf("condition not met within %s; object spec: %v", timeout, last.Object["spec"])
	}
	return last
}

func remediationState(t *testing.T, u *unstructured.Unstructured) controllers.RemediationState {
	t.Helper()
	var s controllers.RemediationState
	raw, ok := u.GetAnnotations()[controllers.AnnotationRemediation]
	if !ok {
		t.Fatal("no remediation annotation")
	}
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func hasAttempts(n int) func(*unstructured.Unstructured) bool {
	return func(u *unstructured.Unstructured) bool {
		raw, ok := u.GetAnnotations()[controllers.AnnotationRemediation]
		if !ok {
			return false
		}
		var s controllers.RemediationState
		return json.Unmarshal([]byte(raw), &s) == nil && s.Attempts == n
	}
}

// events returns the notes of events about the object with the reason.
func events(t *testing.T, ns, name, reason string) []string {
	t.Helper()
	list := &eventsv1.EventList{}
	if err := cluster.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		if e.Regarding.Name == name && e.Reason == reason {
			out = append(out, e.Note)
		}
	}
	return out
}

// waitEvent waits until the object has an Event with the reason.
func waitEvent(t *testing.T, ns, name, reason string) []string {
	t.Helper()
	return waitEventNote(t, ns, name, reason, "", func(string) bool { return true })
}

// waitEventNote waits until one of the object's Events with the reason
// has a note match accepts (what says which, in the failure). Events are
// written by the recorder's own goroutine after the change they report:
// the object may show the change before its Event is stored.
func waitEventNote(t *testing.T, ns, name, reason, what string, match func(note string) bool) []string {
	t.Helper()
	var notes []string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		notes = events(t, ns, name, reason)
		return slices.ContainsFunc(notes, match), nil
	})
	if err != nil {
		t.Fatalf("no %s event%s for %s/%s: %q", reason, what, ns, name, notes)
	}
	return notes
}

func TestDriftedBucketConvergesTouchingOnlyOffendingFields(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	orig := drifted(ns, "legacy")
	create(t, orig)
	// The spec as stored (ACK's real CRDs prune fields they do not define;
	// the project's minimal CRDs keep them).
	origSpec := orig.DeepCopy().Object["spec"].(map[string]any)
	got := waitFor(t, ns, "legacy", 20*time.Second, hasAttempts(1))
	spec := got.Object["spec"].(map[string]any)

	// Fixed fields.
	pab := spec["publicAccessBlock"].(map[string]any)
	for _, k := range []string{"blockPublicACLs", "ignorePublicACLs", "blockPublicPolicy", "restrictPublicBuckets"} {
		if pab[k] != true {
			t.Errorf("publicAccessBlock.%s = %v", k, pab[k])
		}
	}
	if spec["acl"] != "private" {
		t.Errorf("acl = %v", spec["acl"])
	}
	if spec["grantRead"] != "id=0123456789abcdef" {
		t.Errorf("grantRead = %q", spec["grantRead"])
	}
	policy := spec["policy"].(string)
	bn := origSpec["name"].(string)
	for _, stmt := range []string{fmt.Sprintf(statementA, bn), fmt.Sprintf(statementB, bn)} {
		if !strings.Contains(policy, stmt) {
			t.Errorf("statement not kept byte-for-byte:\n%s\nin\n%s", stmt, policy)
		}
	}
	if strings.Count(policy, rules.SecureTransportSid) != 1 {
		t.Errorf("policy has no single deny-insecure-transport statement:\n%s", policy)
	}

	// Unrelated fields intact.
	for _, k := range []string{"name", "tagging", "versioning", "someFutureField"} {
		if fmt.Sprint(spec[k]) != fmt.Sprint(origSpec[k]) {
			t.Errorf("spec.%s changed: %v -> %v", k, origSpec[k], spec[k])
		}
	}
	if got.GetLabels()["app"] != "reports" {
		t.Errorf("labels changed: %v", got.GetLabels())
	}

	// Nothing fixable remains; what remains is reported, not patched.
	for _, f := range rules.Default().Evaluate(got.Object, rules.Config{}) {
		if f.Fixable && rules.Default().Rule(f.RuleID).Remediation == rules.Fix {
			t.Errorf("fixable finding left: %s", f.Text())
		}
	}

	// Previous values are recorded so the fix can be undone.
	state := remediationState(t, got)
	prev := map[string]controllers.PreviousValue{}
	for _, p := range state.Previous {
		prev[p.Path] = p
	}
	if p := prev["spec.acl"]; !p.Present || p.Value != "public-read" {
		t.Errorf("previous acl = %+v", p)
	}
	if p := prev["spec.publicAccessBlock.restrictPublicBuckets"]; p.Present {
		t.Errorf("restrictPublicBuckets was absent, recorded %+v", p)
	}
	if p := prev["spec.policy"]; p.Value != origSpec["policy"] {
		t.Errorf("previous policy not recorded verbatim: %+v", p)
	}
	if len(state.Rules) == 0 {
		t.Error("no rules recorded")
	}

	// Written under ackguard's own field manager, and an Event says so.
	managers := map[string]bool{}
	for _, mf := range got.GetManagedFields() {
		managers[mf.Manager] = true
	}
	if !managers[controllers.FieldManager] {
		t.Errorf("managed fields have no %q manager: %v", controllers.FieldManager, managers)
	}
	notes := waitEvent(t, ns, "legacy", controllers.ReasonRemediated)
	for _, id := range []string{"S3-001", "S3-004", "S3-006"} {
		if !strings.Contains(notes[0], id) {
			t.Errorf("Remediated event %q does not name %s", notes[0], id)
		}
	}
}

// ACK creates a bucket that names no region in its namespace's
// services.k8s.aws/default-region: in cn-north-1, the statement the fix
// adds names the bucket's aws-cn ARNs (S3 refuses arn:aws: ones there).
func TestFixNamesTheARNsOfTheNamespaceDefaultRegion(t *testing.T) {
	suite.Start(t)
	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "drift-cn-",
		Annotations: map[string]string{view.AnnotationDefaultRegion: "cn-north-1"}}}
	create(t, nsObj)
	ns := nsObj.Name
	create(t, drifted(ns, "china"))
	got := waitFor(t, ns, "china", 20*time.Second, hasAttempts(1))
	policy, _, _ := unstructured.NestedString(got.Object, "spec", "policy")
	bn := "ackguard-drift-china"
	if !strings.Contains(policy, `"arn:aws-cn:s3:::`+bn+`","arn:aws-cn:s3:::`+bn+`/*"`) {
		t.Errorf("the fix does not name the bucket's aws-cn ARNs:\n%s", policy)
	}
}

// A bucket policy with no room left for the deny-insecure-transport
// statement: the other fixes are made, the policy is left as it is (with
// the statement S3 would refuse it, and every policy rule would go blind
// on it), and nothing fails.
func TestFixWithNoRoomLeavesThePolicyAlone(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	b := drifted(ns, "full-policy")
	bn := b.Object["spec"].(map[string]any)["name"].(string)
	stmts := []string{fmt.Sprintf(statementB, bn)}
	for i := 0; ; i++ {
		next := append(slices.Clone(stmts), strings.Replace(fmt.Sprintf(statementB, bn), "AuditorRead", fmt.Sprintf("AuditorRead%d", i), 1))
		doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(next, ",") + `]}`
		if len(doc) > policy.MaxBucketPolicyBytes-150 {
			break
		}
		stmts = next
	}
	full := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
	b.Object["spec"].(map[string]any)["policy"] = full
	create(t, b)
	got := waitFor(t, ns, "full-policy", 20*time.Second, hasAttempts(1))
	spec := got.Object["spec"].(map[string]any)
	if spec["acl"] != "private" {
		t.Errorf("acl = %v: the other fixes were not made", spec["acl"])
	}
	if spec["policy"] != full {
		t.Errorf("the policy was changed (%d bytes, S3's limit %d)", len(spec["policy"].(string)), policy.MaxBucketPolicyBytes)
	}
	if failed := events(t, ns, "full-policy", controllers.ReasonRemediationFailed); len(failed) > 0 {
		t.Errorf("RemediationFailed: %v", failed)
	}
}

func TestStatusIsNeverWritten(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	b := drifted(ns, "with-status")
	create(t, b)
	// ACK writes status; ackguard must leave it alone. (The reconciler may
	// patch the spec at the same moment: retry on conflict, as ACK does.)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := get(t, ns, "with-status")
		_ = unstructured.SetNestedField(cur.Object, map[string]any{"arn": "arn:aws:s3:::x", "ownerAccountID": "111122223333", "region": "eu-west-1"}, "status", "ackResourceMetadata")
		return cluster.Client.Status().Update(ctx, cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	got := waitFor(t, ns, "with-status", 20*time.Second, hasAttempts(1))
	if arn, _, _ := unstructured.NestedString(got.Object, "status", "ackResourceMetadata", "arn"); arn != "arn:aws:s3:::x" {
		t.Errorf("status changed: %v", got.Object["status"])
	}
	for _, mf := range got.GetManagedFields() {
		if mf.Manager == controllers.FieldManager && mf.Subresource != "" {
			t.Errorf("ackguard wrote subresource %q", mf.Subresource)
		}
	}
}

func TestReadOnlyObjectsAreReportedNotPatched(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	b := drifted(ns, "readonly")
	b.SetAnnotations(map[string]string{view.AnnotationReadOnly: "True"})
	create(t, b)
	notes := waitEvent(t, ns, "readonly", controllers.ReasonRemediationSkipped)
	if !strings.Contains(notes[0], "read-only") {
		t.Errorf("event = %q", notes[0])
	}
	got := get(t, ns, "readonly")
	if _, ok := got.GetAnnotations()[controllers.AnnotationRemediation]; ok {
		t.Error("read-only object was patched")
	}
	if got.Object["spec"].(map[string]any)["acl"] != "public-read" {
		t.Error("read-only object's spec changed")
	}
}

// ACK reads services.k8s.aws/read-only as the value lowercased equal to
// "true", spaces and all: " true" leaves the object managed (ACK pushes
// its spec to AWS), so it is fixed as any other, not reported read-only.
func TestReadOnlyIsReadAsACKReadsIt(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	b := drifted(ns, "not-readonly")
	b.SetAnnotations(map[string]string{view.AnnotationReadOnly: " true"})
	create(t, b)
	got := waitFor(t, ns, "not-readonly", 20*time.Second, hasAttempts(1))
	if acl := got.Object["spec"].(map[string]any)["acl"]; acl != "private" {
		t.Errorf("acl = %v, want the fix", acl)
	}
	if skipped := events(t, ns, "not-readonly", controllers.ReasonRemediationSkipped); len(skipped) > 0 {
		t.Errorf("reported read-only: %q", skipped)
	}
}

func TestStopsFightingASourceOfTruthThatKeepsReverting(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	create(t, drifted(ns, "gitops"))
	update := func(change func(u *unstructured.Unstructured)) {
		t.Helper()
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur := get(t, ns, "gitops")
			change(cur)
			return cluster.Client.Update(ctx, cur)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The GitOps tool re-applies its manifest.
	revert := func() {
		update(func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, "public-read", "spec", "acl")
		})
	}
	first := remediationState(t, waitFor(t, ns, "gitops", 20*time.Second, hasAttempts(1)))
	revert()
	second := remediationState(t, waitFor(t, ns, "gitops", 20*time.Second, hasAttempts(maxAttempts)))
	if gap := second.Time.Sub(first.Time); gap < backoff {
		t.Errorf("second fix %s after the first; the backoff is %s", gap, backoff)
	}
	revert()
	notes := waitEvent(t, ns, "gitops", controllers.ReasonRemediationStopped)
	if !containsAll(notes[0], "reverted", "suspended since", "fix the source of truth") {
		t.Errorf("event = %q", notes[0])
	}
	// The reverted value stays: ackguard reports, it does not fight.
	time.Sleep(2 * time.Second)
	got := get(t, ns, "gitops")
	if got.Object["spec"].(map[string]any)["acl"] != "public-read" {
		t.Error("ackguard patched again after the attempts were used up")
	}
	s := remediationState(t, got)
	if s.Attempts != maxAttempts || s.Suspended == nil || s.Suspended.Generation != got.GetGeneration() {
		t.Errorf("state = %+v at generation %d", s, got.GetGeneration())
	}
	// The report and the metrics say so.
	waitReportResult(t, ns, "gitops", "S3-004", func(r reportsv1alpha1.ReportResult) bool {
		return strings.HasPrefix(r.Properties[reports.PropertyRemediation], "suspended while")
	})
	if n := gauge(t, "ackguard_remediation_suspended", "kind", "Bucket"); n < 1 {
		t.Errorf("ackguard_remediation_suspended{kind=Bucket} = %g", n)
	}

	// A commit that changes something else (a new generation, the same
	// fix due) does not start the fight again: the source of truth still
	// holds the value it kept reverting to.
	update(func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedSlice(u.Object, []any{map[string]any{"key": "team", "value": "platform"}}, "spec", "tagging", "tagSet")
	})
	time.Sleep(2 * time.Second)
	got = get(t, ns, "gitops")
	if got.Object["spec"].(map[string]any)["acl"] != "public-read" {
		t.Error("ackguard patched again after an unrelated change of the spec")
	}

	// A new drift of another field while the acl is held: that field is
	// fixed, and only the acl stays suspended.
	update(func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, false, "spec", "publicAccessBlock", "blockPublicACLs")
	})
	got = waitFor(t, ns, "gitops", 20*time.Second, func(u *unstructured.Unstructured) bool {
		v, _, _ := unstructured.NestedBool(u.Object, "spec", "publicAccessBlock", "blockPublicACLs")
		return v
	})
	if got.Object["spec"].(map[string]any)["acl"] != "public-read" {
		t.Error("the held acl was patched with the new drift's fix")
	}
	if s := remediationState(t, got); s.Suspended == nil || strings.Join(s.Suspended.Paths, ",") != "spec.acl" || strings.Join(s.Rules, ",") != "S3-001" {
		t.Errorf("state after fixing the new drift = %+v (suspended %+v)", s, s.Suspended)
	}
	waitEventNote(t, ns, "gitops", controllers.ReasonRemediated, " naming the new drift", func(n string) bool {
		return strings.Contains(n, "S3-001") && strings.Contains(n, "spec.publicAccessBlock.blockPublicACLs")
	})
	waitReportResult(t, ns, "gitops", "S3-004", func(r reportsv1alpha1.ReportResult) bool {
		return strings.HasPrefix(r.Properties[reports.PropertyRemediation], "suspended while")
	})

	// The source of truth changes the field to another value within the
	// window: the fix due is another, but the window's count stands, so
	// ackguard stops again at once rather than fight afresh.
	update(func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, "authenticated-read", "spec", "acl")
	})
	waitFor(t, ns, "gitops", 20*time.Second, func(u *unstructured.Unstructured) bool {
		s := remediationState(t, u)
		return u.GetAnnotations()[controllers.AnnotationRemediation] != "" && s.Suspended != nil && s.Suspended.Generation == u.GetGeneration()
	})
	if acl := get(t, ns, "gitops").Object["spec"].(map[string]any)["acl"]; acl != "authenticated-read" {
		t.Errorf("acl = %v: fixed again within the window", acl)
	}

	// The source is fixed (the object complies): the suspension ends, and
	// the report and the metrics say so; the tags are kept.
	update(func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, "private", "spec", "acl")
	})
	waitReportResult(t, ns, "gitops", "S3-004", func(r reportsv1alpha1.ReportResult) bool {
		_, marked := r.Properties[reports.PropertyRemediation]
		return !marked
	})
	got = get(t, ns, "gitops")
	if tags, _, _ := unstructured.NestedSlice(got.Object, "spec", "tagging", "tagSet"); fmt.Sprint(tags) != "[map[key:team value:platform]]" {
		t.Errorf("the new spec's tags were lost: %v", tags)
	}
}

// gauge returns the value of a series of an ackguard gauge in this
// process (the suite's manager registers on controller-runtime's registry).
func gauge(t *testing.T, name, label, value string) float64 {
	t.Helper()
	return metricValue(t, name, map[string]string{label: value})
}

// An object whose deletion has started is never patched, even when it
// drifts meanwhile (a finalizer holds it).
func TestObjectBeingDeletedIsNeverTouched(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	b := compliantBucket(ns, "leaving")
	b.SetFinalizers([]string{"example.com/hold"})
	create(t, b)
	if err := cluster.Client.Delete(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := get(t, ns, "leaving")
		_ = unstructured.SetNestedField(cur.Object, "public-read", "spec", "acl")
		return cluster.Client.Update(ctx, cur)
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * resyncPeriod) // events and resync passes
	got := get(t, ns, "leaving")
	if got.GetDeletionTimestamp() == nil {
		t.Fatal("no deletion under way")
	}
	if got.Object["spec"].(map[string]any)["acl"] != "public-read" {
		t.Error("an object being deleted was patched")
	}
	if _, ok := got.GetAnnotations()[controllers.AnnotationRemediation]; ok {
		t.Error("an object being deleted was annotated")
	}
	got.SetFinalizers(nil)
	if err := cluster.Client.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
}

func compliantBucket(ns, name string) *unstructured.Unstructured {
	bn := "ackguard-drift-" + name
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"name":              bn,
			"publicAccessBlock": map[string]any{"blockPublicACLs": true, "ignorePublicACLs": true, "blockPublicPolicy": true, "restrictPublicBuckets": true},
			"policy":            fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"AckguardDenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, bn),
		},
	}}
}

func TestCompliantBucketIsLeftAlone(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	b := compliantBucket(ns, "clean")
	create(t, b)
	rv := b.GetResourceVersion()
	time.Sleep(2 * time.Second)
	if got := get(t, ns, "clean"); got.GetResourceVersion() != rv {
		t.Errorf("compliant bucket was written: %v", got.GetAnnotations())
	}
}

// An adoption placeholder is not the resource's spec until ACK adopted it:
// nothing is patched into it (ACK would overwrite it, and a placeholder
// lacks required fields); once ACK has adopted it and filled the spec,
// the spec is judged and fixed as any other.
func TestAdoptionPlaceholderWaitsForACK(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	b := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "s3.services.k8s.aws/v1alpha1", "kind": "Bucket",
		"metadata": map[string]any{"name": "adopt-me", "namespace": ns, "annotations": map[string]any{
			view.AnnotationAdoptionPolicy: "adopt", "services.k8s.aws/adoption-fields": `{"name":"ackguard-drift-adopt-me"}`}},
	}}
	create(t, b)
	time.Sleep(2 * resyncPeriod) // the create's event and resync passes
	got := get(t, ns, "adopt-me")
	if _, ok := got.GetAnnotations()[controllers.AnnotationRemediation]; ok || got.Object["spec"] != nil {
		t.Errorf("a placeholder awaiting adoption was patched: spec %v, annotations %v", got.Object["spec"], got.GetAnnotations())
	}
	if failed := events(t, ns, "adopt-me", controllers.ReasonRemediationFailed); len(failed) > 0 {
		t.Errorf("fixes were tried on the placeholder: %q", failed)
	}

	// ACK adopts: the live state becomes the spec, and it says so.
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := get(t, ns, "adopt-me")
		cur.Object["spec"] = drifted(ns, "adopt-me").Object["spec"]
		ann := cur.GetAnnotations()
		ann[view.AnnotationAdopted] = "true"
		cur.SetAnnotations(ann)
		return cluster.Client.Update(ctx, cur)
	}); err != nil {
		t.Fatal(err)
	}
	fixed := waitFor(t, ns, "adopt-me", 30*time.Second, func(u *unstructured.Unstructured) bool {
		_, ok := u.GetAnnotations()[controllers.AnnotationRemediation]
		return ok
	})
	if fixed.Object["spec"].(map[string]any)["acl"] == "public-read" {
		t.Errorf("the adopted spec was not fixed: %v", fixed.Object["spec"])
	}
}

// A tool that replaces the whole object (kubectl replace) drops the
// remediation annotation with the rest: its reverts count all the same,
// and fighting it stops after the attempts.
func TestStopsFightingAToolThatReplacesTheObject(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	create(t, drifted(ns, "replaced"))
	replace := func() {
		t.Helper()
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur := get(t, ns, "replaced")
			manifest := drifted(ns, "replaced") // the tool's manifest, as it is
			manifest.SetResourceVersion(cur.GetResourceVersion())
			return cluster.Client.Update(ctx, manifest)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ns, "replaced", 20*time.Second, hasAttempts(1))
	replace()
	waitFor(t, ns, "replaced", 20*time.Second, hasAttempts(maxAttempts))
	replace()
	notes := waitEvent(t, ns, "replaced", controllers.ReasonRemediationStopped)
	if !containsAll(notes[0], "reverted", "suspended since", "fix the source of truth") {
		t.Errorf("event = %q", notes[0])
	}
	time.Sleep(2 * time.Second)
	if got := get(t, ns, "replaced"); got.Object["spec"].(map[string]any)["acl"] != "public-read" {
		t.Error("ackguard patched again after the attempts were used up")
	}
}
