package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

func dbProxy(kv ...any) map[string]any {
	spec := map[string]any{
		"name": "orders", "engineFamily": "POSTGRESQL", "vpcSubnetIDs": []any{"subnet-1", "subnet-2"},
		"auth": []any{map[string]any{"authScheme": "SECRETS", "iamAuth": "REQUIRED", "secretARN": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:orders"}},
	}
	return ackObject(view.DBProxyGVK, with(spec, kv...))
}

func TestRDS015(t *testing.T) {
	const p = "spec.requireTLS"
	runKindCases(t, "RDS-015", []kindCase{
		{name: "secure: requireTLS true", obj: dbProxy("requireTLS", true)},
		{name: "insecure: requireTLS false", obj: dbProxy("requireTLS", false), action: rules.Warn, fixable: yes, want: []want{{p, "requireTLS is false"}}},
		{name: "tricky: absent is the AWS default false", obj: dbProxy(), want: []want{{p, "requireTLS is not set (AWS default: false"}}},
		{name: "wrong type", obj: dbProxy("requireTLS", "true"), want: []want{{p, "must be a boolean"}}},
		{name: "wrong type: spec", obj: ackObject(view.DBProxyGVK, []any{}), want: []want{{"spec", "must be an object"}}},
	})
	if r := rules.Default().Rule("RDS-015"); r.Remediation != rules.Audit || r.Fixer == nil {
		t.Error("RDS-015's fix must exist and be opt-in (default audit)")
	}
	plan, err := rules.Default().Remediate(dbProxy(), rules.Config{}, []string{"RDS-015"})
	if err != nil || len(plan.Changes) != 1 || plan.Changes[0].New != true {
		t.Fatalf("plan = %+v, %v", plan, err)
	}
}
