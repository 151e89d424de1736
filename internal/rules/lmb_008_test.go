package rules_test

import (
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

func TestLMB008(t *testing.T) {
	const p = "spec.vpcConfig"
	vpc := func(v map[string]any) map[string]any { return fn(with(secureFunctionSpec(), "vpcConfig", v)) }
	ids := func(s ...any) map[string]any { return map[string]any{"subnetIDs": s} }
	refs := func(names ...string) map[string]any {
		var l []any
		for _, n := range names {
			l = append(l, map[string]any{"from": map[string]any{"name": n}})
		}
		return map[string]any{"subnetRefs": l}
	}
	subnet := func(name string, spec map[string]any) map[string]any {
		o := ackObject(view.SubnetGVK, spec)
		o["metadata"].(map[string]any)["name"] = name
		return o
	}
	subnets := objects{objs: map[string]map[string]any{
		"Subnet/team-a/a1":     subnet("a1", map[string]any{"availabilityZone": "eu-west-1a"}),
		"Subnet/team-a/a2":     subnet("a2", map[string]any{"availabilityZone": "eu-west-1a"}),
		"Subnet/team-a/b1":     subnet("b1", map[string]any{"availabilityZone": "eu-west-1b"}),
		"Subnet/team-a/id1":    subnet("id1", map[string]any{"availabilityZoneID": "euw1-az1"}),
		"Subnet/team-a/nozone": subnet("nozone", map[string]any{"cidrBlock": "10.0.0.0/24"}),
	}}
	withSubnets := rules.Config{Resolver: subnets}
	runKindCases(t, "LMB-008", []kindCase{
		{name: "secure: not in a VPC", obj: fn(secureFunctionSpec())},
		{name: "secure: subnets in two zones", cfg: withSubnets, obj: vpc(refs("a1", "b1"))},
		{name: "secure: two known zones, a third subnet unknown", cfg: withSubnets, obj: vpc(map[string]any{"subnetIDs": []any{"subnet-0c"}, "subnetRefs": refs("a1", "b1")["subnetRefs"]})},
		{name: "insecure: one subnet is one zone", obj: vpc(ids("subnet-0a")), action: rules.Warn, want: []want{{p, "runs in one subnet (subnet-0a), so in one Availability Zone"}}},
		{name: "insecure: two subnets in one zone", cfg: withSubnets, obj: vpc(refs("a1", "a2")), want: []want{{p, "all 2 subnets of the function are in the Availability Zone eu-west-1a"}}},
		{name: "tricky: one subnet named twice", obj: vpc(ids("subnet-0a", "subnet-0a")), want: []want{{p, "one subnet"}}},
		{name: "tricky: subnet IDs have no known zone", obj: vpc(ids("subnet-0a", "subnet-0b")), action: rules.Warn, want: []want{{p, "cannot tell whether the function spans two Availability Zones: subnet-0a (the zone of a subnet given by ID is not in the spec)"}}},
		{name: "tricky: references offline", obj: vpc(refs("a1", "b1")), want: []want{{p, "no cluster access"}}},
		{name: "tricky: a reference not found", cfg: withSubnets, obj: vpc(refs("a1", "gone")), want: []want{{p, "Subnet team-a/gone (not found)"}}},
		{name: "tricky: a subnet without a zone", cfg: withSubnets, obj: vpc(refs("a1", "nozone")), want: []want{{p, "sets no availabilityZone"}}},
		{name: "tricky: zone name and zone ID cannot be compared", cfg: withSubnets, obj: vpc(refs("a1", "id1")), want: []want{{p, "cannot be compared"}}},
		{name: "wrong type: subnetRefs an object", obj: vpc(map[string]any{"subnetRefs": map[string]any{}}), want: []want{{"spec.vpcConfig.subnetRefs", "must be an array"}}},
	})
	// What cannot be known is inconclusive, and what can is not.
	for _, tc := range []struct {
		obj          map[string]any
		cfg          rules.Config
		inconclusive bool
	}{
		{vpc(ids("subnet-0a", "subnet-0b")), rules.Config{}, true},
		{vpc(ids("subnet-0a")), rules.Config{}, false},
		{vpc(refs("a1", "a2")), withSubnets, false},
	} {
		for _, f := range findingsOf(tc.obj, tc.cfg, "LMB-008") {
			if f.Inconclusive != tc.inconclusive {
				t.Errorf("%q: inconclusive %v, want %v", f.Message, f.Inconclusive, tc.inconclusive)
			}
		}
	}
}
