package webhooks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ackguard/ackguard/api/v1alpha1"
)

func aliasWith(ns, name string, perms ...any) *unstructured.Unstructured {
	return ackObject("lambda.services.k8s.aws", "Alias", ns, name, map[string]any{
		"name": name, "functionName": "orders", "functionVersion": "1", "permissions": perms,
	})
}

// The Alias, DBProxy, parameter group and NetworkACL kinds go through the
// webhook: deny rules refuse, warn rules warn.
func TestNewKindsAdmission(t *testing.T) {
	ns := newNamespace(t)
	dev, warnings := clientAs(t, "")
	err := dev.Create(ctx, aliasWith(ns, "public", map[string]any{"principal": "*", "action": "lambda:InvokeFunction"}), client.DryRunAll)
	if err == nil {
		t.Fatal("an Alias letting everyone invoke the function was admitted")
	}
	if got := causes(t, err); !hasCause(got, "spec.permissions[0]", "LMB-001") {
		t.Errorf("causes = %q", got)
	}
	err = dev.Create(ctx, aliasWith(ns, "s3", map[string]any{"principal": "s3.amazonaws.com", "action": "lambda:InvokeFunction"}), client.DryRunAll)
	if err == nil {
		t.Fatal("an S3 permission without a source was admitted")
	}
	if got := causes(t, err); !hasCause(got, "spec.permissions[0]", "LMB-002") {
		t.Errorf("causes = %q", got)
	}
	if err := dev.Create(ctx, aliasWith(ns, "pinned", map[string]any{"principal": "s3.amazonaws.com", "action": "lambda:InvokeFunction", "sourceARN": "arn:aws:s3:::orders-uploads", "sourceAccount": "111122223333"})); err != nil {
		t.Errorf("an S3 permission pinned to its bucket and account was denied: %v", err)
	}

	for _, o := range []*unstructured.Unstructured{
		ackObject("rds.services.k8s.aws", "DBProxy", ns, "proxy", map[string]any{
			"name": "proxy", "engineFamily": "MYSQL", "vpcSubnetIDs": []any{"subnet-1"}, "auth": []any{map[string]any{"authScheme": "SECRETS"}},
		}),
		ackObject("rds.services.k8s.aws", "DBParameterGroup", ns, "lax", map[string]any{
			"name": "lax", "family": "mysql8.0", "description": "d", "parameterOverrides": map[string]any{"require_secure_transport": "OFF"},
		}),
		ackObject("rds.services.k8s.aws", "DBClusterParameterGroup", ns, "audit", map[string]any{
			"name": "audit", "family": "aurora-mysql8.0", "description": "d", "parameterOverrides": map[string]any{"server_audit_logging": "1"},
		}),
		openSSHACL(ns),
	} {
		if err := dev.Create(ctx, o); err != nil {
			t.Fatalf("%s denied: %v", o.GetKind(), err)
		}
	}
	w := warnings.all()
	for _, want := range []string{"RDS-015", `RDS-014: family mysql8.0: require_secure_transport is "OFF"`, "RDS-014: family aurora-mysql8.0: server_audit_events is not set"} {
		if !strings.Contains(w, want) {
			t.Errorf("no warning %q in %q", want, w)
		}
	}
	if strings.Contains(w, "EC2-009") {
		t.Errorf("EC2-009 is opt-in: it warned without a policy naming it: %q", w)
	}
}

// EC2-009 is opt-in: silent without a policy, and judged where a policy
// switches it on.
func TestNetworkACLRuleSwitchedOnByPolicy(t *testing.T) {
	suite.Start(t)
	withPolicies(t, policy("nacl-on", map[string]string{"nacl": "on"}, map[string]v1alpha1.Action{"EC2-009": v1alpha1.Deny}))
	ns := scopedNamespace(t, map[string]string{"nacl": "on"})
	c, _ := clientAs(t, "")
	err := createEventually(t, c, openSSHACL(ns), true)
	if cs := causes(t, err); !hasCause(cs, "spec.entries[0].cidrBlock", "EC2-009") {
		t.Errorf("causes = %q", cs)
	}
}

func pg14(ns, name string, kv ...any) *unstructured.Unstructured {
	spec := map[string]any{"dbInstanceIdentifier": name, "dbInstanceClass": "db.t4g.medium", "engine": "postgres", "engineVersion": "14.9", "storageEncrypted": true, "publiclyAccessible": false}
	for i := 0; i+1 < len(kv); i += 2 {
		spec[kv[i].(string)] = kv[i+1]
	}
	return ackObject("rds.services.k8s.aws", "DBInstance", ns, name, spec)
}

// waitWarning repeats a dry-run create of obj until its admission warnings
// contain want (the webhook reads the parameter group from its cache,
// which follows the API server closely but not instantly).
func waitWarning(t *testing.T, obj func() *unstructured.Unstructured, want string) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		c, rec := clientAs(t, "")
		if err := c.Create(ctx, obj(), client.DryRunAll); err != nil {
			return false, err // never denied: RDS-014 warns
		}
		last = rec.all()
		return strings.Contains(last, want), nil
	})
	if err != nil {
		t.Fatalf("no warning %q: %v; last warnings %q", want, err, last)
	}
}

// RDS-014 in the webhook: the instance is judged with the parameter group
// read from the cache, whether the group came first or comes later; a
// group not known yet gives an inconclusive warning, never a denial.
func TestParameterGroupJoinInAdmission(t *testing.T) {
	ns := newNamespace(t)
	dev, warnings := clientAs(t, "")
	// The instance first: its group is not known yet.
	if err := dev.Create(ctx, pg14(ns, "orders", "dbParameterGroupRef", map[string]any{"from": map[string]any{"name": "orders-pg"}})); err != nil {
		t.Fatalf("an instance whose parameter group is not known yet was denied: %v", err)
	}
	if w := warnings.all(); !strings.Contains(w, "RDS-014") || !strings.Contains(w, "not known yet") {
		t.Errorf("warnings = %q", w)
	}
	// The group arrives; the next write of the instance is judged with it.
	if err := dev.Create(ctx, ackObject("rds.services.k8s.aws", "DBParameterGroup", ns, "orders-pg", map[string]any{
		"name": "orders-pg", "family": "postgres14", "description": "d", "parameterOverrides": map[string]any{"rds.force_ssl": "0"},
	})); err != nil {
		t.Fatal(err)
	}
	waitWarning(t, func() *unstructured.Unstructured {
		return pg14(ns, "orders-2", "dbParameterGroupRef", map[string]any{"from": map[string]any{"name": "orders-pg"}})
	}, `DBParameterGroup `+ns+`/orders-pg: rds.force_ssl is "0"`)
	// Known before the instance, named by its AWS name.
	waitWarning(t, func() *unstructured.Unstructured { return pg14(ns, "billing", "dbParameterGroupName", "orders-pg") }, `rds.force_ssl is "0"`)
}

// openSSHACL is a NetworkACL whose only inbound entry opens SSH to the
// internet.
func openSSHACL(ns string) *unstructured.Unstructured {
	return ackObject("ec2.services.k8s.aws", "NetworkACL", ns, "open-ssh", map[string]any{
		"vpcID": "vpc-1",
		"entries": []any{map[string]any{
			"ruleNumber": int64(100), "ruleAction": "allow", "protocol": "6", "cidrBlock": "0.0.0.0/0", "egress": false,
			"portRange": map[string]any{"from": int64(22), "to": int64(22)},
		}},
	})
}
