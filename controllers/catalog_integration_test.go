package controllers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/controllers"
)

func ackObject(group, kind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": group + "/v1alpha1",
		"kind":       kind,
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec":       spec,
	}}
}

func getAs(t *testing.T, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatal(err)
	}
	return u
}

// A Role is judged with the ACK Policies it references: when a referenced
// Policy grants admin, the reconciler reports the Role.
func TestRoleReferencingAdminPolicyIsReported(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	policy := ackObject("iam.services.k8s.aws", "Policy", ns, "ops", map[string]any{
		"name":           "ops",
		"policyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::ops/*"}]}`,
	})
	role := ackObject("iam.services.k8s.aws", "Role", ns, "ops-role", map[string]any{
		"name":                     "ops-role",
		"assumeRolePolicyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		"policyRefs":               []any{map[string]any{"from": map[string]any{"name": "ops"}}},
	})
	for _, o := range []*unstructured.Unstructured{policy, role} {
		if err := cluster.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	// The Policy turns into admin: the Role must be re-judged.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := getAs(t, policy.GroupVersionKind(), ns, "ops")
		_ = unstructured.SetNestedField(cur.Object, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, "spec", "policyDocument")
		return cluster.Client.Update(ctx, cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		notes = events(t, ns, "ops-role", controllers.ReasonViolation)
		for _, n := range notes {
			if strings.Contains(n, "IAM-001") {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("the Role referencing an admin Policy was not reported: %q", notes)
	}
	// Reported, never patched: IAM rules are audit-only.
	if got := getAs(t, role.GroupVersionKind(), ns, "ops-role"); got.GetAnnotations()[controllers.AnnotationRemediation] != "" {
		t.Error("the Role was patched")
	}
}

// ACK late-initializes publiclyAccessible=true from an AWS default; the
// reconciler writes the explicit secure value back.
func TestLateInitializedPublicDBInstanceIsRemediated(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	db := ackObject("rds.services.k8s.aws", "DBInstance", ns, "orders", map[string]any{
		"dbInstanceIdentifier": "orders", "dbInstanceClass": "db.t3.micro", "engine": "postgres",
		"storageEncrypted": true, "publiclyAccessible": true, "allocatedStorage": int64(20),
	})
	if err := cluster.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	var got *unstructured.Unstructured
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		got = getAs(t, db.GroupVersionKind(), ns, "orders")
		v, found, _ := unstructured.NestedBool(got.Object, "spec", "publiclyAccessible")
		return found && !v, nil
	})
	if err != nil {
		t.Fatalf("publiclyAccessible not remediated: %v", got.Object["spec"])
	}
	if n, _, _ := unstructured.NestedInt64(got.Object, "spec", "allocatedStorage"); n != 20 {
		t.Errorf("unrelated field changed: allocatedStorage=%d", n)
	}
	if enc, _, _ := unstructured.NestedBool(got.Object, "spec", "storageEncrypted"); !enc {
		t.Error("storageEncrypted changed")
	}
}
