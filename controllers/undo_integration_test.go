package controllers_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/governance"
	"github.com/ackguard/ackguard/internal/reports"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// waitAnnotated waits until the object carries a remediation annotation.
func waitAnnotated(t *testing.T, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		u := getAs(t, gvk, ns, name)
		if u.GetAnnotations()[controllers.AnnotationRemediation] != "" {
			return u
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s/%s was never remediated; spec %v", gvk.Kind, ns, name, u.Object["spec"])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// previousAt returns the annotation's previous value of the field.
func previousAt(t *testing.T, u *unstructured.Unstructured, path string) controllers.PreviousValue {
	t.Helper()
	for _, p := range remediationState(t, u).Previous {
		if p.Path == path {
			return p
		}
	}
	t.Fatalf("no previous value of %s in %s", path, u.GetAnnotations()[controllers.AnnotationRemediation])
	return controllers.PreviousValue{}
}

// undo follows docs/reports.md, "Undoing a fix": an exception for the
// rules the previous value names, then the value written back with a
// merge patch of the field. The exception also names a read-only probe
// (never patched) whose report results say when the reconciler's
// governance holds it. It returns the exception.
func undo(t *testing.T, gvk schema.GroupVersionKind, ns, name, probe string, field []string, p controllers.PreviousValue) *v1alpha1.GuardrailException {
	t.Helper()
	ex := &v1alpha1.GuardrailException{
		ObjectMeta: metav1.ObjectMeta{Name: "undo-" + name, Namespace: ns},
		Spec: v1alpha1.GuardrailExceptionSpec{
			Rules: p.Rules,
			Resources: []v1alpha1.ResourceRef{
				{APIGroup: gvk.Group, Kind: gvk.Kind, Name: name},
				{APIGroup: gvk.Group, Kind: gvk.Kind, Name: probe},
			},
			Reason:    "putting a fix back for the test",
			ExpiresAt: metav1.NewTime(time.Now().Add(time.Hour)),
		},
	}
	create(t, ex)
	for _, id := range p.Rules {
		waitReportResult(t, ns, probe, id, func(r reportsv1alpha1.ReportResult) bool {
			return r.Result == reports.ResultSkip
		})
	}
	var value any // absent before the fix: removed with null
	if p.Present {
		value = p.Value
	}
	patch := map[string]any{field[len(field)-1]: value}
	for i := len(field) - 2; i >= 0; i-- {
		patch = map[string]any{field[i]: patch}
	}
	data, err := json.Marshal(patch)
	if err != nil {
		t.Fatal(err)
	}
	target := &unstructured.Unstructured{}
	target.SetGroupVersionKind(gvk)
	target.SetNamespace(ns)
	target.SetName(name)
	if err := cluster.Client.Patch(ctx, target, client.RawPatch(types.MergePatchType, data)); err != nil {
		t.Fatal(err)
	}
	return ex
}

// A public SSH range is EC2-003's (22 is a high-risk port) as much as
// EC2-001's, but EC2-001's fix removes it first and EC2-003's finds
// nothing left: the previous value names both, and an undo with an
// exception for the rules it names stays undone (with EC2-001's alone,
// EC2-003 fixed it again and counted the undo as a revert).
func TestUndoOfAListFieldNamesEveryRuleItBringsBack(t *testing.T) {
	ns := newNamespace(t)
	ingress := func() []any {
		return []any{
			map[string]any{"ipProtocol": "tcp", "fromPort": int64(22), "toPort": int64(22), "ipRanges": []any{
				map[string]any{"cidrIP": "0.0.0.0/0", "description": "anyone"},
				map[string]any{"cidrIP": "10.0.0.0/8", "description": "corp"},
			}},
			map[string]any{"ipProtocol": "tcp", "fromPort": int64(443), "toPort": int64(443), "ipRanges": []any{
				map[string]any{"cidrIP": "10.0.0.0/8", "description": "corp"},
			}},
		}
	}
	sg := func(name string) *unstructured.Unstructured {
		return ackObject("ec2.services.k8s.aws", "SecurityGroup", ns, name, map[string]any{
			"name": name, "description": "web", "vpcID": "vpc-1", "ingressRules": ingress(),
		})
	}
	probe := sg("web-probe")
	probe.SetAnnotations(map[string]string{view.AnnotationReadOnly: "true"})
	create(t, sg("web"), probe)

	fixed := waitAnnotated(t, view.SecurityGroupGVK, ns, "web")
	p := previousAt(t, fixed, "spec.ingressRules")
	if !p.Present || fmt.Sprint(p.Value) != fmt.Sprint(ingress()) {
		t.Fatalf("previous ingressRules = %+v, want the whole list as it was", p)
	}
	if s := remediationState(t, fixed); !reflect.DeepEqual(s.Rules, []string{"EC2-001"}) {
		t.Errorf("rules fixed = %v, want EC2-001 (EC2-003's fix found nothing left)", s.Rules)
	}
	if !containsRules(p.Rules, "EC2-001", "EC2-003") {
		t.Fatalf("the previous value names %v: an undo with exceptions for those alone is fixed again under the others", p.Rules)
	}

	undo(t, view.SecurityGroupGVK, ns, "web", "web-probe", []string{"spec", "ingressRules"}, p)
	time.Sleep(resyncPeriod + time.Second) // the undo's event and a resync pass
	got := getAs(t, view.SecurityGroupGVK, ns, "web")
	if rs, _, _ := unstructured.NestedSlice(got.Object, "spec", "ingressRules"); fmt.Sprint(rs) != fmt.Sprint(ingress()) {
		t.Errorf("after the undo ingressRules = %v, want %v", rs, ingress())
	}
	if s := remediationState(t, got); s.Attempts != 1 {
		t.Errorf("the undo was fixed again (state %+v)", s)
	}
}

// Removing a public statement (S3-003) clears the findings of S3-002 and
// S3-007 on it too, which admission denies: the previous policy names
// every rule whose finding writing it back brings (those admission would
// refuse, those the reconciler would fix again), and with an exception
// for them both admit the undo and leave it alone.
func TestUndoOfAPolicyStringNamesEveryRuleItBringsBack(t *testing.T) {
	ns := newNamespace(t)
	bucket := func(name string) *unstructured.Unstructured {
		b := compliantBucket(ns, name)
		bn := b.Object["spec"].(map[string]any)["name"].(string)
		b.Object["spec"].(map[string]any)["policy"] = fmt.Sprintf(`{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Reports", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/reports"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::%[1]s/*"},
    {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::%[1]s/*"}
  ]
}`, bn)
		return b
	}
	orig := bucket("shared")
	probe := bucket("shared-probe")
	probe.SetAnnotations(map[string]string{view.AnnotationReadOnly: "true"})
	create(t, orig, probe)

	fixed := waitAnnotated(t, view.BucketGVK, ns, "shared")
	p := previousAt(t, fixed, "spec.policy")
	if p.Value != orig.Object["spec"].(map[string]any)["policy"] {
		t.Fatalf("previous policy not recorded verbatim: %+v", p)
	}
	// What writing the old policy back brings: the findings of the
	// restored bucket the fixed one does not have, and among them those
	// the baseline denies or fixes.
	restored := fixed.DeepCopy()
	restored.Object["spec"].(map[string]any)["policy"] = p.Value
	now := map[string]bool{}
	for _, f := range rules.Default().Evaluate(fixed.Object, rules.Config{}) {
		now[f.IdentityKey()] = true
	}
	var brought []string
	for _, f := range rules.Default().Evaluate(restored.Object, rules.Config{}) {
		rule := rules.Default().Rule(f.RuleID)
		if now[f.IdentityKey()] || (rule.Admission != rules.Deny && rule.Remediation != rules.Fix) || slices.Contains(brought, f.RuleID) {
			continue
		}
		brought = append(brought, f.RuleID)
	}
	if !containsRules(brought, "S3-002", "S3-003") {
		t.Fatalf("the test's bucket does not exercise the case: the undo brings %v", brought)
	}
	if !containsRules(p.Rules, brought...) {
		t.Fatalf("the previous policy names %v; writing it back brings %v", p.Rules, brought)
	}

	// Admission (the engine the webhook runs, under the baseline) admits
	// the undo under an exception for the named rules, and refuses it
	// under one for the rules whose fixes changed the field alone.
	exFor := func(ids []string) []v1alpha1.GuardrailException {
		return []v1alpha1.GuardrailException{{
			ObjectMeta: metav1.ObjectMeta{Name: "undo", Namespace: ns},
			Spec: v1alpha1.GuardrailExceptionSpec{
				Rules: ids, Resources: []v1alpha1.ResourceRef{{APIGroup: "s3.services.k8s.aws", Kind: "Bucket", Name: "shared"}},
				Reason: "undo", ExpiresAt: metav1.NewTime(time.Now().Add(time.Hour)),
			},
		}}
	}
	admitted := func(ids []string) bool {
		eng := governance.New(rules.Default(), governance.Defaults{}, nil, exFor(ids))
		return eng.Admit(governance.Request{Operation: governance.Update, Object: restored.Object, OldObject: fixed.Object, Namespace: governance.Namespace{Name: ns}, Now: time.Now()}).Allowed()
	}
	if !admitted(p.Rules) {
		t.Errorf("admission refuses the undo under an exception for %v", p.Rules)
	}
	if admitted(remediationState(t, fixed).Rules) {
		t.Errorf("the test shows nothing: admission admits the undo under an exception for the fixing rules %v alone", remediationState(t, fixed).Rules)
	}

	undo(t, view.BucketGVK, ns, "shared", "shared-probe", []string{"spec", "policy"}, p)
	time.Sleep(resyncPeriod + time.Second)
	got := get(t, ns, "shared")
	if got.Object["spec"].(map[string]any)["policy"] != p.Value {
		t.Errorf("the undone policy was fixed again: %v", got.Object["spec"].(map[string]any)["policy"])
	}
}

func containsRules(have []string, want ...string) bool {
	for _, id := range want {
		if !slices.Contains(have, id) {
			return false
		}
	}
	return true
}

// A suspension ends once the object has no fix due: the annotation, which
// people read, stops saying that fixing is suspended (the report and the
// metrics already did), and keeps the previous values.
func TestEndedSuspensionLeavesTheAnnotation(t *testing.T) {
	ns := newNamespace(t)
	create(t, drifted(ns, "gitops"))
	setACL := func(acl string) {
		t.Helper()
		if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur := get(t, ns, "gitops")
			_ = unstructured.SetNestedField(cur.Object, acl, "spec", "acl")
			return cluster.Client.Update(ctx, cur)
		}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ns, "gitops", 20*time.Second, hasAttempts(1))
	setACL("public-read")
	waitFor(t, ns, "gitops", 20*time.Second, hasAttempts(maxAttempts))
	setACL("public-read")
	suspended := waitFor(t, ns, "gitops", 20*time.Second, func(u *unstructured.Unstructured) bool {
		return remediationState(t, u).Suspended != nil
	}).GetAnnotations()[controllers.AnnotationRemediation]

	setACL("private") // the source of truth is fixed
	got := waitFor(t, ns, "gitops", 20*time.Second, func(u *unstructured.Unstructured) bool {
		return remediationState(t, u).Suspended == nil
	})
	if p := previousAt(t, got, "spec.acl"); !p.Present || p.Value != "public-read" {
		t.Errorf("previous acl = %+v, want public-read kept", p)
	}
	if acl := got.Object["spec"].(map[string]any)["acl"]; acl != "private" {
		t.Errorf("acl = %v", acl)
	}

	// A tool that writes the old annotation back (a manifest exported
	// with it) is not answered again: the annotation is cleared once.
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := get(t, ns, "gitops")
		ann := cur.GetAnnotations()
		ann[controllers.AnnotationRemediation] = suspended
		cur.SetAnnotations(ann)
		return cluster.Client.Update(ctx, cur)
	}); err != nil {
		t.Fatal(err)
	}
	rv := get(t, ns, "gitops").GetResourceVersion()
	time.Sleep(resyncPeriod + time.Second) // the write's event and a resync pass
	if again := get(t, ns, "gitops"); again.GetResourceVersion() != rv {
		t.Errorf("the annotation written back was rewritten: %s", again.GetAnnotations()[controllers.AnnotationRemediation])
	}
}
