package controllers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/controllers"
	"github.com/ackguard/ackguard/internal/reports"
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

// lambdaTrust is a harmless trust policy.
const lambdaTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// updateField sets one field of the object, retrying on conflicts.
func updateField(t *testing.T, gvk schema.GroupVersionKind, ns, name string, value any, fields ...string) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := getAs(t, gvk, ns, name)
		if err := unstructured.SetNestedField(cur.Object, value, fields...); err != nil {
			return err
		}
		return cluster.Client.Update(ctx, cur)
	})
	if err != nil {
		t.Fatal(err)
	}
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
		"assumeRolePolicyDocument": lambdaTrust,
		"policyRefs":               []any{map[string]any{"from": map[string]any{"name": "ops"}}},
	})
	create(t, policy, role)
	// The Policy turns into admin: the Role must be re-judged.
	updateField(t, policy.GroupVersionKind(), ns, "ops", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, "spec", "policyDocument")
	var notes []string
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
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
	create(t, db)
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

// waitRules waits until the namespace's Report holds results for the
// object and cond accepts the rules they name.
func waitRules(t *testing.T, ns, name, what string, cond func(rules map[string]bool) bool) map[string]bool {
	t.Helper()
	var got map[string]bool
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		rep := &reportsv1alpha1.Report{}
		if err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: reports.DefaultName}, rep); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		got = map[string]bool{}
		for _, r := range rep.Results {
			for _, s := range r.Subjects {
				if s.Name == name && r.Result != "pass" {
					got[r.Rule] = true
				}
			}
		}
		return len(got) > 0 && cond(got), nil
	})
	if err != nil {
		t.Fatalf("the report on %s/%s never %s: %v", ns, name, what, got)
	}
	return got
}

// lambdaRole is a Role Lambda may assume, named iamName in IAM, with one
// more spec field.
func lambdaRole(ns, name, iamName, field string, value any) *unstructured.Unstructured {
	return ackObject("iam.services.k8s.aws", "Role", ns, name, map[string]any{"name": iamName, "assumeRolePolicyDocument": lambdaTrust, field: value})
}

// A Function naming its execution role by ARN is judged with the ACK Role
// of that IAM name, and again when that Role changes.
func TestFunctionNamingRoleByARNIsJudgedWithTheRole(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	role := lambdaRole(ns, "exec-role", "ExecRole", "inlinePolicies",
		map[string]any{"logs": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:*:111122223333:log-group:/aws/lambda/f:*"}]}`})
	fn := ackObject("lambda.services.k8s.aws", "Function", ns, "f", map[string]any{
		"name": "f", "code": map[string]any{"s3Bucket": "code", "s3Key": "f.zip"},
		"role": "arn:aws:iam::111122223333:role/ExecRole",
	})
	create(t, role, fn)
	waitRules(t, ns, "f", "was judged", func(r map[string]bool) bool { return !r["LMB-012"] })
	updateField(t, role.GroupVersionKind(), ns, "exec-role", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, "spec", "inlinePolicies", "logs")
	waitRules(t, ns, "f", "reported LMB-012 after its Role became admin", func(r map[string]bool) bool { return r["LMB-012"] })
}

// A Policy used only as a permissions boundary is not judged as a grant;
// once an identity attaches it, it is, without the Policy itself changing.
func TestBoundaryPolicyIsJudgedByHowItIsUsed(t *testing.T) {
	suite.Start(t)
	ns := newNamespace(t)
	role := lambdaRole(ns, "dev", "dev", "permissionsBoundaryRef", map[string]any{"from": map[string]any{"name": "boundary"}})
	// No Version (POL-004, which boundaries are not exempt from) gives the
	// Policy a result of its own.
	boundary := ackObject("iam.services.k8s.aws", "Policy", ns, "boundary", map[string]any{
		"name":           "boundary",
		"policyDocument": `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:DeleteRolePermissionsBoundary","Resource":"*"}]}`,
	})
	create(t, role, boundary)
	// Whichever the cache saw first, the Policy ends judged as a boundary.
	waitRules(t, ns, "boundary", "was judged as a boundary", func(r map[string]bool) bool { return r["POL-004"] && !r["IAM-001"] })
	updateField(t, role.GroupVersionKind(), ns, "dev", []any{map[string]any{"from": map[string]any{"name": "boundary"}}}, "spec", "policyRefs")
	waitRules(t, ns, "boundary", "reported IAM-001 once a Role attached it", func(r map[string]bool) bool { return r["IAM-001"] })
}
