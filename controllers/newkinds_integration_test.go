package controllers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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

// ruleResult returns the description of the open result of rule for the
// named object in the namespace's report ("" when there is none).
func ruleResult(t *testing.T, ns, name, rule string) string {
	t.Helper()
	rep := &reportsv1alpha1.Report{}
	err := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: reports.DefaultName}, rep)
	if apierrors.IsNotFound(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Rule == rule && len(r.Subjects) > 0 && r.Subjects[0].Name == name && r.Result != reports.ResultPass && r.Result != reports.ResultSkip {
			return r.Description
		}
	}
	return ""
}

// waitResult polls the namespace's report until the rule's result for the
// object satisfies cond.
func waitResult(t *testing.T, ns, name, rule, what string, cond func(desc string) bool) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		last = ruleResult(t, ns, name, rule)
		return cond(last), nil
	})
	if err != nil {
		t.Fatalf("%s of %s/%s never %s; last: %q", rule, ns, name, what, last)
	}
	t.Logf("%s %s", time.Now().Format("15:04:05.000"), what)
}

func contains(s string) func(string) bool {
	return func(d string) bool { return strings.Contains(d, s) }
}

// create creates the objects in order.
func create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := cluster.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
}

func paramGroup(ns, name string, overrides map[string]any) *unstructured.Unstructured {
	return ackObject("rds.services.k8s.aws", "DBParameterGroup", ns, name, map[string]any{
		"name": name, "family": "postgres14", "description": "orders", "parameterOverrides": overrides,
	})
}

func pg14Instance(ns, name string, kv ...any) *unstructured.Unstructured {
	spec := map[string]any{"dbInstanceIdentifier": name, "dbInstanceClass": "db.t4g.medium", "engine": "postgres", "engineVersion": "14.9"}
	for i := 0; i+1 < len(kv); i += 2 {
		spec[kv[i].(string)] = kv[i+1]
	}
	return ackObject("rds.services.k8s.aws", "DBInstance", ns, name, spec)
}

// RDS-014 joins a DBInstance to the parameter group it references: a
// group created after the instance turns "not known yet" into a verdict,
// and a change to the group re-judges the instance.
func TestParameterGroupArrivingAfterTheInstanceIsJoined(t *testing.T) {
	ns := newNamespace(t)
	create(t, pg14Instance(ns, "orders", "dbParameterGroupRef", map[string]any{"from": map[string]any{"name": "orders-pg"}}))
	waitResult(t, ns, "orders", "RDS-014", "reported as not known yet", contains("not found (or not known yet)"))

	create(t, paramGroup(ns, "orders-pg", map[string]any{"rds.force_ssl": "0"}))
	waitResult(t, ns, "orders", "RDS-014", "joined to the group", contains(`rds.force_ssl is "0"`))

	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := getAs(t, view.DBParameterGroupGVK, ns, "orders-pg")
		_ = unstructured.SetNestedField(cur.Object, "1", "spec", "parameterOverrides", "rds.force_ssl")
		return cluster.Client.Update(ctx, cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	waitResult(t, ns, "orders", "RDS-014", "cleared once the group forces TLS", func(d string) bool { return d == "" })
	// Audit only: the group is never patched (the instance may be, by
	// other RDS rules).
	if getAs(t, view.DBParameterGroupGVK, ns, "orders-pg").GetAnnotations()[controllers.AnnotationRemediation] != "" {
		t.Error("the parameter group was patched")
	}
}

// The group exists first and the instance names it by its AWS name.
func TestParameterGroupKnownBeforeTheInstanceIsJoined(t *testing.T) {
	ns := newNamespace(t)
	create(t, paramGroup(ns, "lax", map[string]any{"rds.force_ssl": "0"}))
	waitResult(t, ns, "lax", "RDS-014", "reported on the group itself", contains("family postgres14"))
	create(t, pg14Instance(ns, "billing", "dbParameterGroupName", "lax"))
	waitResult(t, ns, "billing", "RDS-014", "joined by name", contains("DBParameterGroup "+ns+"/lax"))
}

// Each new kind is watched and judged by the reconciler.
func TestNewKindsAreReconciled(t *testing.T) {
	ns := newNamespace(t)
	create(t,
		ackObject("lambda.services.k8s.aws", "Alias", ns, "live", map[string]any{
			"name": "live", "functionName": "orders", "functionVersion": "1",
			"permissions": []any{map[string]any{"principal": "*", "action": "lambda:InvokeFunction", "statementID": "anyone"}},
		}),
		ackObject("rds.services.k8s.aws", "DBProxy", ns, "proxy", map[string]any{
			"name": "proxy", "engineFamily": "POSTGRESQL", "vpcSubnetIDs": []any{"subnet-1"},
			"auth": []any{map[string]any{"authScheme": "SECRETS"}}, "requireTLS": false,
		}),
		ackObject("rds.services.k8s.aws", "DBClusterParameterGroup", ns, "audit", map[string]any{
			"name": "audit", "family": "aurora-mysql8.0", "description": "d",
		}),
	)
	notes := waitEvent(t, ns, "live", controllers.ReasonViolation)
	if !strings.Contains(strings.Join(notes, "\n"), "LMB-001") {
		t.Errorf("Alias violation events: %q", notes)
	}
	waitResult(t, ns, "proxy", "RDS-015", "reported", contains("requireTLS is false"))
	waitResult(t, ns, "audit", "RDS-014", "reported", contains("server_audit_logging is not set"))
	// RDS-015's fix is opt-in: the proxy is not patched by default.
	if v, _, _ := unstructured.NestedBool(getAs(t, view.DBProxyGVK, ns, "proxy").Object, "spec", "requireTLS"); v {
		t.Error("requireTLS was patched without a policy asking for it")
	}
}

func openACL(ns string) *unstructured.Unstructured {
	return ackObject("ec2.services.k8s.aws", "NetworkACL", ns, "open-ssh", map[string]any{
		"vpcID": "vpc-1",
		"entries": []any{map[string]any{
			"ruleNumber": int64(100), "ruleAction": "allow", "protocol": "-1", "cidrBlock": "0.0.0.0/0",
		}},
	})
}

// EC2-009 is opt-in: the reconciler reports a NetworkACL where a policy
// switches the rule on, and nowhere else.
func TestNetworkACLRuleSwitchedOnByPolicy(t *testing.T) {
	suite.Start(t)
	cluster.WithPolicies(ctx, t, localcluster.Policy("nacl-on", map[string]string{"nacl": "on"}, map[string]v1alpha1.Action{"EC2-009": v1alpha1.Audit}))
	on := cluster.ScopedNamespace(ctx, t, map[string]string{"nacl": "on"})
	off := newNamespace(t)
	create(t, openACL(on), openACL(off))
	waitResult(t, on, "open-ssh", "EC2-009", "reported", contains("inbound entry 100 allows all protocols and ports from 0.0.0.0/0"))
	if d := ruleResult(t, off, "open-ssh", "EC2-009"); d != "" {
		t.Errorf("EC2-009 reported without a policy naming it: %q", d)
	}
}
