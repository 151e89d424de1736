package install

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/api/v1alpha1"
	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/webhookconfig"
)

func serviceAccountUser(ns, name string) string { return "system:serviceaccount:" + ns + ":" + name }

// clientAs returns a client that acts as a ServiceAccount, so the API
// server's RBAC decides every request.
func clientAs(t *testing.T, ns, name string) client.Client {
	t.Helper()
	cfg := rest.CopyConfig(cluster.Config)
	cfg.Impersonate = rest.ImpersonationConfig{
		UserName: serviceAccountUser(ns, name),
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
	}
	c, err := client.New(cfg, client.Options{Scheme: cluster.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ensureServiceAccount(t *testing.T, ns, name string) {
	t.Helper()
	ensureNamespace(t, ns)
	err := cluster.Client.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// bind binds a ClusterRole to a ServiceAccount: with a RoleBinding in
// bindingNS, or cluster-wide when bindingNS is empty.
func bind(t *testing.T, bindingNS, role, saNS, sa string) {
	t.Helper()
	subject := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: saNS, Name: sa}}
	ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}
	name := strings.ReplaceAll(sa+"-"+role, ":", "-")
	var obj client.Object
	if bindingNS == "" {
		obj = &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, Subjects: subject, RoleRef: ref}
	} else {
		obj = &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: bindingNS, Name: name}, Subjects: subject, RoleRef: ref}
	}
	if err := cluster.Client.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Client.Delete(context.Background(), obj) })
}

// eventually retries f until it succeeds: the API server's authorizer
// sees new bindings through an informer.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 15*time.Second, true, func(context.Context) (bool, error) {
		last = f()
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("%s: %v", what, last)
	}
}

// expectForbidden fails unless RBAC refused the request.
func expectForbidden(t *testing.T, what string, err error) {
	t.Helper()
	if !apierrors.IsForbidden(err) {
		t.Errorf("%s: %v, want Forbidden", what, err)
	}
}

// applyChartRoles applies the chart's ClusterRoles (release "ackguard").
func applyChartRoles(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	roles := find(helmTemplate(t, ""), "ClusterRole")
	apply(t, roles)
	return roles
}

// TestNamespaceAdminCannotCreateExceptions: a namespace admin — bound in
// their namespace to every ClusterRole aggregated into the built-in edit
// and admin roles (the chart's and Kubernetes' own) and to full access to
// the ACK kinds — may read GuardrailExceptions but not create one; only a
// binding to the chart's exception-admin role lets them, in that
// namespace only.
//
// envtest runs no kube-controller-manager, so the aggregation controller
// never fills the built-in admin and edit roles: the test binds the
// aggregated ClusterRoles themselves, which is what admin and edit would
// contain.
func TestNamespaceAdminCannotCreateExceptions(t *testing.T) {
	suite.Start(t)
	chartRoles := applyChartRoles(t)
	ns, other, sa := "team-a", "team-b", "team-admin"
	ensureServiceAccount(t, ns, sa)
	ensureNamespace(t, other)

	// The rules a namespace admin has for ACK kinds (ACK's charts leave
	// these to the cluster's admins).
	ackAdmin := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "test-ack-namespace-admin"}}
	byGroup := map[string][]string{}
	for _, gk := range rules.Default().Kinds() {
		byGroup[gk.Group] = append(byGroup[gk.Group], webhookconfig.Plural(gk.Kind))
	}
	for g, res := range byGroup {
		ackAdmin.Rules = append(ackAdmin.Rules, rbacv1.PolicyRule{
			APIGroups: []string{g}, Resources: res,
			Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"},
		})
	}
	if err := cluster.Client.Create(ctx, ackAdmin); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	bind(t, ns, ackAdmin.Name, ns, sa)

	var aggregated []string
	for _, label := range []string{"rbac.authorization.k8s.io/aggregate-to-edit", "rbac.authorization.k8s.io/aggregate-to-admin"} {
		list := &rbacv1.ClusterRoleList{}
		if err := cluster.Client.List(ctx, list, client.MatchingLabels{label: "true"}); err != nil {
			t.Fatal(err)
		}
		for _, r := range list.Items {
			if !slices.Contains(aggregated, r.Name) {
				aggregated = append(aggregated, r.Name)
			}
		}
	}
	chartAggregated := 0
	for _, r := range chartRoles {
		if slices.Contains(aggregated, r.GetName()) {
			chartAggregated++
		}
	}
	if chartAggregated == 0 {
		t.Fatalf("no chart ClusterRole is aggregated into edit or admin (aggregated roles: %v)", aggregated)
	}
	for _, r := range aggregated {
		bind(t, ns, r, ns, sa)
	}
	t.Logf("bound %s/%s to %d aggregated ClusterRoles (%d of the chart) and %s", ns, sa, len(aggregated), chartAggregated, ackAdmin.Name)

	as := clientAs(t, ns, sa)
	// The bindings are in force: the admin reads exceptions and Buckets.
	eventually(t, "the namespace admin lists GuardrailExceptions", func() error {
		return as.List(ctx, &v1alpha1.GuardrailExceptionList{}, client.InNamespace(ns))
	})
	eventually(t, "the namespace admin lists Buckets", func() error {
		u := &unstructured.UnstructuredList{}
		u.SetAPIVersion("s3.services.k8s.aws/v1alpha1")
		u.SetKind("BucketList")
		return as.List(ctx, u, client.InNamespace(ns))
	})
	expectForbidden(t, "a namespace admin creating a GuardrailException", as.Create(ctx, exception(ns, "self-service", "S3-001")))

	// The exception admin role, bound in the namespace, allows it there.
	bind(t, ns, exceptionAdminRole, ns, sa)
	ex := exception(ns, "granted", "S3-001")
	eventually(t, "the exception admin creates a GuardrailException", func() error { return as.Create(ctx, ex.DeepCopy()) })
	t.Cleanup(func() { _ = cluster.Client.Delete(context.Background(), ex) })
	expectForbidden(t, "the exception admin of team-a creating an exception in team-b", as.Create(ctx, exception(other, "elsewhere", "S3-001")))
	expectForbidden(t, "the exception admin creating a GuardrailPolicy", as.Create(ctx, &v1alpha1.GuardrailPolicy{ObjectMeta: metav1.ObjectMeta{Name: "by-exception-admin"}}, client.DryRunAll))
}

// TestViewerAndPolicyAdmin: the viewer role (bound cluster-wide, as for an
// auditor) reads policies, exceptions and reports and writes none of them;
// the policy admin role writes policies but not exceptions.
func TestViewerAndPolicyAdmin(t *testing.T) {
	suite.Start(t)
	applyChartRoles(t)
	ns := "audit"
	ensureServiceAccount(t, ns, "auditor")
	ensureServiceAccount(t, ns, "platform")

	viewer := clientAs(t, ns, "auditor")
	bind(t, "", viewerRole, ns, "auditor")
	eventually(t, "the viewer lists GuardrailPolicies", func() error {
		return viewer.List(ctx, &v1alpha1.GuardrailPolicyList{})
	})
	reports := &unstructured.UnstructuredList{}
	reports.SetAPIVersion("openreports.io/v1alpha1")
	reports.SetKind("ReportList")
	if err := viewer.List(ctx, reports, client.InNamespace("rbac-proof")); err != nil {
		t.Errorf("the viewer lists Reports: %v", err)
	}
	if err := viewer.List(ctx, &v1alpha1.GuardrailExceptionList{}); err != nil {
		t.Errorf("the viewer lists GuardrailExceptions: %v", err)
	}
	policy := &v1alpha1.GuardrailPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "rbac-test"},
		Spec:       v1alpha1.GuardrailPolicySpec{DefaultAction: v1alpha1.CatalogDefault},
	}
	expectForbidden(t, "the viewer creating a GuardrailPolicy", viewer.Create(ctx, policy.DeepCopy(), client.DryRunAll))
	expectForbidden(t, "the viewer creating a GuardrailException", viewer.Create(ctx, exception(ns, "by-viewer", "S3-001"), client.DryRunAll))
	report := &unstructured.Unstructured{}
	report.SetAPIVersion("openreports.io/v1alpha1")
	report.SetKind("Report")
	report.SetNamespace(ns)
	report.SetName("by-viewer")
	expectForbidden(t, "the viewer creating a Report", viewer.Create(ctx, report, client.DryRunAll))

	admin := clientAs(t, ns, "platform")
	expectForbidden(t, "an unbound ServiceAccount creating a GuardrailPolicy", admin.Create(ctx, policy.DeepCopy(), client.DryRunAll))
	bind(t, "", policyAdminRole, ns, "platform")
	// Dry run: a real policy would change what later tests judge.
	eventually(t, "the policy admin creates a GuardrailPolicy", func() error { return admin.Create(ctx, policy.DeepCopy(), client.DryRunAll) })
	expectForbidden(t, "the policy admin creating a GuardrailException", admin.Create(ctx, exception(ns, "by-policy-admin", "S3-001"), client.DryRunAll))
}

// TestChartRBACGrantsWhatTheManagerNeeds asks the API server's authorizer
// (SubjectAccessReview) what the chart's ServiceAccount may do: everything
// the manager does with policies, exceptions, namespaces and reports, and
// nothing more with them (no spec writes, no deletes).
func TestChartRBACGrantsWhatTheManagerNeeds(t *testing.T) {
	suite.Start(t)
	ensureNamespace(t, releaseNamespace)
	objs := helmTemplate(t, "")
	var setup []*unstructured.Unstructured
	for _, k := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"} {
		setup = append(setup, find(objs, k)...)
	}
	apply(t, setup)
	id := chartIdentity()
	type access struct {
		verb, group, resource, sub, ns string
		allowed                        bool
	}
	var cases []access
	for _, v := range []string{"get", "list", "watch"} {
		cases = append(cases,
			access{v, "policy.ackguard.dev", "guardrailpolicies", "", "", true},
			access{v, "policy.ackguard.dev", "guardrailexceptions", "", "team-a", true},
			access{v, "", "namespaces", "", "", true},
		)
	}
	// Status is written by merge patch; Reports by server-side apply
	// (create and patch) and read past the cache (get, list) — nothing
	// more.
	for _, c := range []struct {
		verb    string
		allowed bool
	}{{"patch", true}, {"get", false}, {"update", false}} {
		cases = append(cases,
			access{c.verb, "policy.ackguard.dev", "guardrailpolicies", "status", "", c.allowed},
			access{c.verb, "policy.ackguard.dev", "guardrailexceptions", "status", "team-a", c.allowed},
		)
	}
	for _, v := range []string{"get", "list", "create", "patch"} {
		cases = append(cases, access{v, "openreports.io", "reports", "", "team-a", true})
	}
	for _, v := range []string{"watch", "update"} {
		cases = append(cases, access{v, "openreports.io", "reports", "", "team-a", false})
	}
	for _, v := range []string{"create", "update", "patch", "delete"} {
		cases = append(cases,
			access{v, "policy.ackguard.dev", "guardrailpolicies", "", "", false},
			access{v, "policy.ackguard.dev", "guardrailexceptions", "", "team-a", false},
			access{v, "", "namespaces", "", "", false},
		)
	}
	cases = append(cases,
		access{"delete", "openreports.io", "reports", "", "team-a", false},
		access{"deletecollection", "openreports.io", "reports", "", "team-a", false},
		access{"get", "", "secrets", "", "team-a", false},
	)
	for _, c := range cases {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: id.UserName, Groups: id.Groups,
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: c.verb, Group: c.group, Resource: c.resource, Subresource: c.sub, Namespace: c.ns,
			},
		}}
		// The authorizer sees the bindings just applied through an
		// informer: wait a little for the expected answer.
		_ = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
			review := sar.DeepCopy()
			if err := cluster.Client.Create(ctx, review); err != nil {
				return false, nil
			}
			sar.Status = review.Status
			return review.Status.Allowed == c.allowed, nil
		})
		if sar.Status.Allowed != c.allowed {
			res := c.resource
			if c.sub != "" {
				res += "/" + c.sub
			}
			t.Errorf("the chart's ServiceAccount may %s %s (group %q) in namespace %q: %v, want %v %s",
				c.verb, res, c.group, c.ns, sar.Status.Allowed, c.allowed, sar.Status.Reason)
		}
	}
}
