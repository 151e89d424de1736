package controllers_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/rules/rulestest"
)

// A fix the API server refuses in part (here a ValidatingAdmissionPolicy
// of the cluster's own that keeps a Bucket's ACL fields as they are) no
// longer blocks the rest: the fields it accepts are patched, and the
// refused part is reported as failed with the API server's answer.
func TestAFixRefusedInPartPatchesTheRest(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	name := "acl-owned-" + ns
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Update},
					Rule: admissionregistrationv1.Rule{
						APIGroups: []string{"s3.services.k8s.aws"}, APIVersions: []string{"*"}, Resources: []string{"buckets"},
					},
				},
			}}},
			Validations: []admissionregistrationv1.Validation{{
				Expression: `(has(object.spec.acl) ? object.spec.acl : "") == (has(oldObject.spec.acl) ? oldObject.spec.acl : "")`,
				Message:    "the bucket's ACL is owned by the storage team",
			}},
		},
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        name,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
			MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns},
			}},
		},
	}
	for _, o := range []client.Object{policy, binding} {
		create(t, o)
		t.Cleanup(func() { _ = cluster.Client.Delete(context.Background(), o) })
	}
	// The policy is in force once a dry-run change of a probe's ACL is
	// refused.
	probe := &unstructured.Unstructured{Object: rulestest.CleanBucket()}
	probe.SetNamespace(ns)
	probe.SetName("probe")
	create(t, probe)
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		p := get(t, ns, "probe")
		_ = unstructured.SetNestedField(p.Object, "bucket-owner-full-control", "spec", "acl")
		return apierrors.IsInvalid(cluster.Client.Update(ctx, p, client.DryRunAll)), nil
	}); err != nil {
		t.Fatal("the ValidatingAdmissionPolicy is not in force")
	}

	create(t, drifted(ns, "refused"))
	got := waitFor(t, ns, "refused", 20*time.Second, func(u *unstructured.Unstructured) bool {
		for _, f := range []string{"blockPublicACLs", "ignorePublicACLs", "blockPublicPolicy", "restrictPublicBuckets"} {
			if v, _, _ := unstructured.NestedBool(u.Object, "spec", "publicAccessBlock", f); !v {
				return false
			}
		}
		return true
	})
	spec := got.Object["spec"].(map[string]any)
	if spec["acl"] != "public-read" || !strings.Contains(fmt.Sprint(spec["grantRead"]), "AllUsers") {
		t.Errorf("the refused part was written: acl %v, grantRead %v", spec["acl"], spec["grantRead"])
	}
	if policy := fmt.Sprint(spec["policy"]); !strings.Contains(policy, "AckguardDenyInsecureTransport") {
		t.Errorf("the accepted S3-006 fix was not written: %s", policy)
	}
	if s := remediationState(t, got); strings.Join(s.Rules, ",") != "S3-001,S3-006" {
		t.Errorf("state rules %v, want S3-001,S3-006", s.Rules)
	}
	notes := waitEvent(t, ns, "refused", controllers.ReasonRemediationFailed)
	i := slices.IndexFunc(notes, func(n string) bool { return strings.HasSuffix(n, "the rest of the fix was applied") })
	if i < 0 || !containsAll(notes[i], "the fix of S3-004 (spec.acl, spec.grantRead) was refused: ", "owned by the storage team") || strings.Contains(notes[i], "S3-001") {
		t.Errorf("RemediationFailed events = %q, want one naming the refused part and saying the rest was applied", notes)
	}
	if n := fixes(t, "S3-004", "failed"); n < 1 {
		t.Errorf("ackguard_remediations_total{rule=S3-004,outcome=failed} = %g", n)
	}
}
