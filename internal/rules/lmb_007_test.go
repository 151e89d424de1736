package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
)

func TestLMB007(t *testing.T) {
	const p = "spec.vpcConfig"
	vpc := func(v any) map[string]any { return fn(with(secureFunctionSpec(), "vpcConfig", v)) }
	runKindCases(t, "LMB-007", []kindCase{
		{name: "secure: subnet IDs", obj: vpc(map[string]any{"subnetIDs": []any{"subnet-0a", "subnet-0b"}, "securityGroupIDs": []any{"sg-1"}})},
		{name: "secure: subnet references", obj: vpc(map[string]any{"subnetRefs": []any{map[string]any{"from": map[string]any{"name": "private-a"}}}})},
		{name: "insecure: no vpcConfig", obj: fn(secureFunctionSpec()), action: rules.Warn, want: []want{{p, "not connected to a VPC"}}},
		{name: "tricky: security groups without subnets", obj: vpc(map[string]any{"securityGroupIDs": []any{"sg-1"}}), want: []want{{p, "not connected to a VPC"}}},
		{name: "tricky: empty subnet IDs", obj: vpc(map[string]any{"subnetIDs": []any{""}}), want: []want{{p, "not connected"}}},
		{name: "wrong type: subnetIDs a string", obj: vpc(map[string]any{"subnetIDs": "subnet-0a"}), want: []want{{"spec.vpcConfig.subnetIDs", "must be an array"}}},
	})
}
